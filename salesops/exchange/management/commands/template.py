"""``salesops template export [-o FILE] [--name N]`` and ``salesops template import FILE
[--dry-run] [--yes] [--as USERNAME]``: the whole configuration as one app-template file
(SPEC X7), the same engine as Settings · App templates."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from salesops.exchange.appconfig import engine
from salesops.org.models import Role, User


def _errors(exc: ValidationError) -> str:
    return "\n".join(f"  - {m}" for m in exc.messages)


class Command(BaseCommand):
    help = (
        "Export the configuration (custom fields, layouts, tags, lists, channels, rules, "
        "stages, KPI schemes …) as an app template, or import one: the preview lists what "
        "would be created, changed or left, then it is applied in one transaction."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the configuration as JSON.")
        export.add_argument("-o", "--output", help="File to write (default: standard output).")
        export.add_argument("--name", default="", help="The template's name, kept in the file.")
        export.add_argument("--description", default="", help="One line about the template.")
        load = sub.add_parser("import", help="Preview and apply an app template file.")
        load.add_argument("file", help="The app template (.json).")
        load.add_argument("--dry-run", action="store_true", help="Show the preview only.")
        load.add_argument("--yes", action="store_true", help="Apply without asking.")
        load.add_argument(
            "--as",
            dest="username",
            default="",
            help="The admin the changes are recorded against (default: the first active "
            "sales-ops admin).",
        )

    def handle(self, *args, action, **options):
        if action == "export":
            return self._export(**options)
        return self._import(**options)

    def _export(self, *, output, name, description, **options):
        text = engine.dumps(engine.export_config(name=name, description=description))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(_("App template written to %(path)s.") % {"path": output})
        else:
            self.stdout.write(text, ending="")

    def _actor(self, username: str) -> User:
        users = User.objects.filter(is_active=True)
        if username:
            actor = users.filter(username=username).first()
            if actor is None:
                raise CommandError(_("No active user %(name)s.") % {"name": username})
            return actor
        actor = (
            users.filter(role=Role.ADMIN).order_by("id").first()
            or users.filter(is_superuser=True).order_by("id").first()
        )
        if actor is None:
            raise CommandError(
                _("No active sales-ops admin to record the changes against; name one with --as.")
            )
        return actor

    def _import(self, *, file, dry_run, yes, username, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s.") % {"path": file})
        try:
            data = engine.loads(path.read_bytes())
        except ValidationError as exc:
            raise CommandError(_errors(exc)) from None
        plan = engine.preview(data)
        self._show(plan)
        if not plan.ok:
            raise CommandError(
                _("The app template was refused; nothing was written:\n%(errors)s")
                % {"errors": "\n".join(f"  - {e}" for e in plan.errors)}
            )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
            return
        if not plan.writes:
            self.stdout.write(_("Nothing to change: the installation already has this template."))
            return
        if not yes and not self._confirm():
            self.stdout.write(_("Nothing was written."))
            return
        actor = self._actor(username)
        try:
            counts = engine.apply(data, actor=actor)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(
                _("The app template was refused; nothing was written:\n%(errors)s")
                % {"errors": "\n".join(f"  - {m}" for m in messages)}
            ) from None
        created = sum(c["created"] for c in counts.values())
        changed = sum(c["changed"] for c in counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                _("Applied: %(created)d created, %(changed)d changed.")
                % {"created": created, "changed": changed}
            )
        )

    def _confirm(self) -> bool:
        if not sys.stdin.isatty():
            raise CommandError(_("Add --yes to apply without a terminal to confirm in."))
        answer = input(_("Apply these changes? [y/N] "))
        return answer.strip().lower() in ("y", "yes")

    def _show(self, plan: engine.Plan) -> None:
        for p in plan.sections:
            if not (p.in_file or p.keep):
                continue
            self.stdout.write(
                _(
                    "%(label)s (%(name)s): %(c)d to create, %(ch)d to change, %(l)d unchanged, %(k)d kept"
                )
                % {
                    "label": p.label,
                    "name": p.name,
                    "c": len(p.create),
                    "ch": len(p.change),
                    "l": len(p.leave),
                    "k": len(p.keep),
                }
            )
            for verb, keys in ((_("create"), p.create), (_("change"), p.change)):
                for key in keys:
                    self.stdout.write(f"  {verb}: {key}")
