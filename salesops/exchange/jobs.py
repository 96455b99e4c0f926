"""Start an import job from an upload and map its headers to fields."""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from . import engine, files, registry
from .models import ExchangePolicy, ImportJob


def read_upload(data: bytes, filename: str) -> files.Table:
    policy = ExchangePolicy.current()
    return files.read(
        data, filename, max_bytes=policy.max_file_mb * 1_048_576, max_rows=policy.max_rows
    )


def exact_mapping(importer: registry.Importer, headers: list[str]) -> dict[str, str]:
    """Column index → field key for the headers that are a field's zh-Hans or English
    name, an alias or the key itself (case and surrounding spaces ignored)."""
    names = {}
    for field in importer.fields():
        zh, en = field.names()
        for name in (zh, en, field.key, *field.aliases):
            names.setdefault(name.strip().casefold(), field.key)
    mapping = {}
    used = set()
    for index, header in enumerate(headers):
        key = names.get(header.strip().casefold())
        if key and key not in used:
            mapping[str(index)] = key
            used.add(key)
    return mapping


def start_job(*, actor, entity: str, filename: str, data: bytes) -> ImportJob:
    """Read the upload (refusing a bad file before anything is stored), keep it under
    MEDIA_ROOT/imports and create the job with the headers mapped where the names say."""
    importer = registry.get(entity)
    if importer is None:
        raise PermissionDenied(_("Unknown import “%(entity)s”.") % {"entity": entity})
    if not importer.can_import(actor):
        raise PermissionDenied(_("You may not import this kind of record."))
    table = read_upload(data, filename)
    digest = hashlib.sha256(data).hexdigest()
    suffix = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "bin"
    path = engine.upload_dir() / f"{digest}.{suffix}"
    path.write_bytes(data)
    version = table.meta.get("version")
    return ImportJob.objects.create(
        entity=entity,
        filename=filename[:255],
        path=str(path),
        sha256=digest,
        size=len(data),
        sheet=table.sheet[:100],
        template_version=int(version) if isinstance(version, int | float) else None,
        headers=table.headers,
        mapping=exact_mapping(importer, table.headers),
        row_count=len(table.rows),
        created_by=actor,
    )
