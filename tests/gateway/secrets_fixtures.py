"""Old home of the synthetic prompt values; they live in ``tests.support.values`` now."""

from tests.support.values import AWS_KEY, EMAIL, RRN, RRN_POST_2020

__all__ = ["AWS_KEY", "EMAIL", "RRN", "RRN_POST_2020"]
