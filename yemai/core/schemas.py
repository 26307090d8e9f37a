"""API schemas every domain shares."""

from ninja import Schema


class Message(Schema):
    """The API's own error answer (``{"detail": …}``, with ``errors`` on bad input): what a
    route that also answers a report of its own on 400 (imports) declares beside it."""

    detail: str
