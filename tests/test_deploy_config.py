from pathlib import Path

from gateway.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_example_deployment_config_is_valid() -> None:
    settings = load_settings(ROOT / "deploy" / "haetae.example.yaml", environ={})
    assert settings.listen.host == "0.0.0.0"
    assert settings.audit.url == "sqlite:////data/audit.db"
