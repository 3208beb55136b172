"""StoredFile: the bytes of an uploaded file and what the checks found out about them."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from marketplace.db import Base, utc_now


class StoredFile(Base):
    """One uploaded file. Kept in the database rather than a local folder, so that every web worker on
    every host serves the same files and a backup of the database is a backup of the files."""

    __tablename__ = "stored_file"
    __table_args__ = (sa.CheckConstraint("size_bytes >= 0", name="size_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))  # cleaned user file name, used as the download name
    content_type: Mapped[str] = mapped_column(sa.String(80))
    size_bytes: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    # Deferred: lists of attachments never load the bytes; send() does.
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    owner_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    owner_org_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    def __repr__(self) -> str:
        return f"<StoredFile {self.id} {self.content_type} {self.size_bytes}B {self.name!r}>"
