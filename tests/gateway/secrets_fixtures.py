"""Values the e2e tests smuggle into prompts. Synthetic, never real people or keys."""

RRN = "900101-1234568"  # valid checksum
RRN_POST_2020 = "210315-3123450"  # issued after Oct 2020: no valid checksum
EMAIL = "kim.minsu@example.co.kr"
AWS_KEY = "AKIAZ3MSK2PLQW7RTX4N"
