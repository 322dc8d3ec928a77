"""Reading the provider's answer before the caller does: judged by the rules whose
direction covers answers, edited in place or withheld, streamed with a bounded
hold-back. ``inspect.AnswerInspection`` is what ``forward`` uses; ``readers``
says what of each API's answer is read, ``channel`` how a streamed text is held
back, ``stream`` how events are judged, ``judge`` how texts are decided.
"""
