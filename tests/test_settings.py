from pathlib import Path

import pytest

import gateway
from gateway.errors import ConfigError
from gateway.providers.catalog import build_providers, load_catalog
from gateway.settings import CredentialSettings, ProviderSettings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_listen_on_loopback_with_the_default_policy() -> None:
    settings = load_settings(environ={})
    assert (settings.listen.host, settings.listen.port) == ("127.0.0.1", 8080)
    assert settings.audit.url == "sqlite:///var/audit.db"


def test_the_default_policy_is_the_one_shipped_in_the_package() -> None:
    """Read from the installed package, not the working directory: it serves from anywhere."""
    settings = load_settings(environ={})
    assert settings.policy == Path(gateway.__file__).parent / "policies" / "default.yaml"
    assert settings.policy.is_absolute() and settings.policy.is_file()
    # A checkout's policies/ is the same folder, for paths written before the move.
    assert (ROOT / "policies" / "default.yaml").resolve() == settings.policy.resolve()


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "haetae.yaml"
    config.write_text("listen: {port: 9000}\naudit: {url: 'sqlite:///a.db'}\n")
    settings = load_settings(
        config,
        environ={"HAETAE_AUDIT__URL": "sqlite:///b.db", "HAETAE_CONFIG": str(config)},
        overrides={"listen.port": 9100},
    )
    assert settings.listen.port == 9100
    assert settings.audit.url == "sqlite:///b.db"


def test_environment_maps_underscores_in_provider_ids_to_hyphens() -> None:
    settings = load_settings(
        environ={"HAETAE_PROVIDERS__AZURE_OPENAI__BASE_URL": "https://r.openai.azure.com/"}
    )
    assert settings.providers["azure-openai"].base_url == "https://r.openai.azure.com"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("listen: {prot: 1}\n", "listen.prot: unknown key"),
        ("listen: {port: 99999}\n", "listen.port"),
        ("providers: {openai: {base_url: 'ftp://x'}}\n", "providers.openai.base_url"),
        ("timeouts: {read: -1}\n", "timeouts.read"),
        ("- a list\n", "must be a mapping"),
        ("listen: [\n", "not valid YAML"),
    ],
)
def test_invalid_config_names_the_bad_key(tmp_path: Path, yaml_text: str, expected: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(yaml_text)
    with pytest.raises(ConfigError, match=expected.replace(".", r"\.").replace("(", r"\(")):
        load_settings(config, environ={})


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "nope.yaml", environ={})


def test_inject_credentials_need_a_source() -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        CredentialSettings(mode="inject")


def test_injected_key_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "anthropic.key"
    key_file.write_text("sk-ant-file-key\n")
    settings = {
        "openai": ProviderSettings(credentials=CredentialSettings(mode="inject", env="OAI")),
        "anthropic": ProviderSettings(credentials=CredentialSettings(mode="inject", file=key_file)),
    }
    providers = build_providers(load_catalog(), settings, environ={"OAI": "sk-env-key"})
    assert providers["openai"].auth_header_value() == (b"authorization", b"Bearer sk-env-key")
    assert providers["anthropic"].auth_header_value() == (b"x-api-key", b"sk-ant-file-key")
    assert providers["gemini"].auth_header_value() is None


def test_missing_injected_key_fails_at_start_up() -> None:
    settings = {"openai": ProviderSettings(credentials=CredentialSettings(mode="inject", env="X"))}
    with pytest.raises(ConfigError, match="environment variable X is not set"):
        build_providers(load_catalog(), settings, environ={})


def test_unknown_provider_in_settings_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"providers\.openia: not in the provider catalog"):
        build_providers(load_catalog(), {"openia": ProviderSettings()}, environ={})


def test_secret_variables_are_not_read_as_settings() -> None:
    """The pseudonym key and admin tokens live in HAETAE_* variables of their own."""
    environ = {
        "HAETAE_PSEUDONYM_KEY": "k" * 32,
        "HAETAE_ADMIN_TOKEN": "alice:" + "t" * 20,
        "HAETAE_LOG_LEVEL": "debug",
        "HAETAE_DETECTION__LANGUAGE": "ko",
    }
    settings = load_settings(environ=environ)
    assert settings.log_level == "debug"
    assert settings.detection.language == "ko"


def test_a_mistyped_nested_variable_is_still_an_error() -> None:
    with pytest.raises(ConfigError, match=r"listen\.prot"):
        load_settings(environ={"HAETAE_LISTEN__PROT": "1"})


def test_the_start_up_line_counts_secret_formats_instead_of_listing_them() -> None:
    from gateway.app import scanned_summary

    many = {"KR_RRN", "EMAIL_ADDRESS", *(f"SECRET_{n}" for n in range(270))}
    assert scanned_summary(many) == "EMAIL_ADDRESS, KR_RRN, 270 secret formats"
    assert scanned_summary({"SECRET_JWT", "KR_RRN"}) == "KR_RRN, SECRET_JWT"
    assert scanned_summary(set()) == "nothing"
