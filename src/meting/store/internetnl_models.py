"""The table of Internet.nl batch requests (issue 17): one row per request of a batch that
``meting internetnl submit`` sends, recorded before it is sent.

It shares ``Base`` with ``models.py`` (``meting.store`` imports this module); its
migration is ``17_internetnl_requests.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meting.store.models import Base, UtcDateTime

# planned: recorded, not sent; submitting: being sent (the answer with its id not yet
# recorded); then the API's states; imported: its results are stored in the batch's round
REQUEST_STATES = ("planned", "submitting", "registering", "running", "generating", "done",
                  "error", "cancelled", "imported")


class InternetnlRequest(Base):
    __tablename__ = "internetnl_requests"
    __table_args__ = (UniqueConstraint("batch", "part", name="uq_internetnl_requests_batch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(100), index=True)  # the round label to be
    kind: Mapped[str] = mapped_column(String(10))
    set_name: Mapped[str | None] = mapped_column(String(100))
    part: Mapped[int] = mapped_column(Integer)  # 1..parts
    parts: Mapped[int] = mapped_column(Integer)
    # the request's name at Internet.nl, unique: found again in the API's list of requests
    # when the answer to the POST was lost
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    targets: Mapped[dict[str, str]] = mapped_column(JSON)  # target tested -> registry domain
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)  # the last problem with this request
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
