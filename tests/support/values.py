"""Values the tests smuggle into prompts. Synthetic: never real people or keys."""

__all__ = ["AWS_KEY", "EMAIL", "RRN", "RRN_POST_2020"]

RRN = "900101-1234568"  # a resident registration number with a valid checksum
RRN_POST_2020 = "210315-3123450"  # issued after Oct 2020: no valid checksum
EMAIL = "kim.minsu@example.co.kr"
AWS_KEY = "AKIAZ3MSK2PLQW7RTX4N"
