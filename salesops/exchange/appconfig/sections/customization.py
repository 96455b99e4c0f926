"""App-template sections of the settings an admin edits as lists: custom fields, form
layouts, check-in result tags and the choice lists (industries, sizes, levels …).

Each applies through the owning app's services, which check what they always check (a
key's shape, a layout keeping the required fields …); a section's ``validate`` only
catches what the preview can say before anything is written.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.activities import services as activity_services
from salesops.activities.models import ResultTag
from salesops.core import choices as choice_lists
from salesops.core.models import Choice, ChoiceList
from salesops.customization import selectors as custom_selectors
from salesops.customization import services as custom_services
from salesops.customization.models import CustomFieldDefinition, FieldType, FormLayout

from ..base import Section, register
from .common import ANY, BOOL, INT, LIST, TEXT, check_fields, differences


def _entity_problems(entity) -> list[str]:
    if not entity or custom_selectors.custom_entity(entity) is None:
        return [
            _("“entity”: %(entity)s takes no custom fields; use one of: %(choices)s.")
            % {
                "entity": entity,
                "choices": ", ".join(e.key for e in custom_selectors.custom_entities()),
            }
        ]
    return []


@register
class CustomFields(Section):
    name = "custom_fields"
    label = _l("Custom field")
    SPEC = {
        "entity": TEXT,
        "key": TEXT,
        "label_zh": TEXT,
        "label_en": TEXT,
        "type": TEXT,
        "required": BOOL,
        "default": ANY,
        "help_zh": TEXT,
        "help_en": TEXT,
        "order": INT,
        "choices": LIST,
        "show_in_list": BOOL,
        "active": BOOL,
    }
    FIELDS = tuple(f for f in SPEC if f not in ("entity", "key"))

    def key(self, item: dict) -> str:
        return f"{item.get('entity', '')}.{item.get('key', '')}"

    def _item(self, d: CustomFieldDefinition) -> dict:
        return {
            "entity": d.entity,
            "key": d.key,
            "label_zh": d.label_zh,
            "label_en": d.label_en,
            "type": d.type,
            "required": d.required,
            # A user field's default is a user id of this installation: not portable.
            "default": None if d.type == FieldType.USER else d.default,
            "help_zh": d.help_zh,
            "help_en": d.help_en,
            "order": d.order,
            "choices": list(d.choices or []),
            "show_in_list": d.show_in_list,
            "active": d.active,
        }

    def normalise(self, item: dict) -> dict:
        if "choices" not in item:
            return item
        return {**item, "choices": custom_services.normalise_choices(item["choices"])}

    def export(self) -> list[dict]:
        rows = CustomFieldDefinition.objects.order_by("entity", "key")
        return sorted((self._item(d) for d in rows), key=self.key)

    def validate(self, item: dict) -> list[str]:
        messages = check_fields(item, self.SPEC, ("entity", "key", "type"))
        if isinstance(item.get("entity"), str):
            messages += _entity_problems(item["entity"])
        kind = item.get("type")
        if isinstance(kind, str) and kind not in FieldType.values:
            messages.append(
                _("“type”: %(type)s is not a field type; use one of: %(types)s.")
                % {"type": kind, "types": ", ".join(FieldType.values)}
            )
        if kind == FieldType.USER and item.get("default") not in (None, ""):
            messages.append(
                _("“default”: a user field cannot carry a default in a template; set it to null.")
            )
        return messages

    def apply(self, item: dict, *, actor) -> str:
        existing = CustomFieldDefinition.objects.filter(
            entity=item["entity"], key=item["key"]
        ).first()
        if existing is None:
            data = {f: item[f] for f in self.FIELDS if f in item}
            custom_services.definition_create(
                actor=actor, entity=item["entity"], key=item["key"], **data
            )
            return "created"
        changes = differences(self._item(existing), self.normalise(item), self.FIELDS)
        if not changes:
            return "unchanged"
        custom_services.definition_update(actor=actor, definition=existing, **changes)
        return "changed"


@register
class FormLayouts(Section):
    name = "form_layouts"
    label = _l("Form layout")
    depends = ("custom_fields",)
    SPEC = {"entity": TEXT, "name": TEXT, "fields": LIST}

    def key(self, item: dict) -> str:
        return f"{item.get('entity', '')}/{item.get('name', '')}"

    def _item(self, layout: FormLayout) -> dict:
        return {
            "entity": layout.entity,
            "name": layout.name,
            # The order of the fields is the form's order: kept as it is.
            "fields": [
                {"field": f["field"], "required": bool(f.get("required", False))}
                for f in layout.fields or []
            ],
        }

    def normalise(self, item: dict) -> dict:
        """Entries as the layout stores them: ``"name"`` → ``{"field": "name", "required":
        false}``."""
        fields = item.get("fields")
        if not isinstance(fields, list):
            return item
        entries = [{"field": e} if isinstance(e, str) else e for e in fields]
        return {
            **item,
            "fields": [
                {"field": e.get("field"), "required": bool(e.get("required", False))}
                if isinstance(e, dict)
                else e
                for e in entries
            ],
        }

    def export(self) -> list[dict]:
        return sorted((self._item(x) for x in FormLayout.objects.all()), key=self.key)

    def references(self, item: dict) -> list[tuple[str, str]]:
        refs = []
        fields = item.get("fields")
        for entry in fields if isinstance(fields, list) else []:
            name = entry.get("field") if isinstance(entry, dict) else entry
            if isinstance(name, str) and name.startswith("custom."):
                refs.append(("custom_fields", f"{item.get('entity', '')}.{name[7:]}"))
        return refs

    def validate(self, item: dict) -> list[str]:
        messages = check_fields(item, self.SPEC, ("entity", "name", "fields"))
        if isinstance(item.get("entity"), str):
            messages += _entity_problems(item["entity"])
        fields = item.get("fields")
        for entry in fields if isinstance(fields, list) else []:
            if not isinstance(entry, str) and not (
                isinstance(entry, dict) and isinstance(entry.get("field"), str)
            ):
                messages.append(
                    _('“fields”: each entry is {"field": name, "required": true or false}.')
                )
                break
        return messages

    def apply(self, item: dict, *, actor) -> str:
        existing = FormLayout.objects.filter(entity=item["entity"], name=item["name"]).first()
        if existing is not None and not differences(
            self._item(existing), self.normalise(item), ("fields",)
        ):
            return "unchanged"
        custom_services.layout_save(
            actor=actor, entity=item["entity"], name=item["name"], fields=item["fields"]
        )
        return "created" if existing is None else "changed"


@register
class ResultTags(Section):
    name = "result_tags"
    label = _l("Result tag")
    SPEC = {
        "code": TEXT,
        "label_zh": TEXT,
        "label_en": TEXT,
        "order": INT,
        "is_active": BOOL,
        "counts_as_contact": BOOL,
    }
    FIELDS = ("label_zh", "label_en", "order", "is_active", "counts_as_contact")

    def key(self, item: dict) -> str:
        return str(item.get("code", ""))

    def _item(self, tag: ResultTag) -> dict:
        return {
            "code": tag.code,
            "label_zh": tag.label_zh,
            "label_en": tag.label_en,
            "order": tag.order,
            "is_active": tag.is_active,
            "counts_as_contact": tag.counts_as_contact,
        }

    def export(self) -> list[dict]:
        return sorted((self._item(t) for t in ResultTag.objects.all()), key=self.key)

    def validate(self, item: dict) -> list[str]:
        return check_fields(item, self.SPEC, ("code", "label_zh", "label_en"))

    def apply(self, item: dict, *, actor) -> str:
        existing = ResultTag.objects.filter(code=item["code"]).first()
        if existing is None:
            data = {f: item[f] for f in self.FIELDS if f in item}
            activity_services.result_tag_create(actor=actor, code=item["code"], **data)
            return "created"
        changes = differences(self._item(existing), item, self.FIELDS)
        if not changes:
            return "unchanged"
        activity_services.result_tag_update(actor=actor, tag=existing, **changes)
        return "changed"


@register
class ChoiceLists(Section):
    """One item per option of a list (industry, company size …), keyed ``list.code``.
    The lists themselves come with every installation; options are never deleted."""

    name = "choice_lists"
    label = _l("Choice list option")
    SPEC = {
        "list": TEXT,
        "code": TEXT,
        "label_zh": TEXT,
        "label_en": TEXT,
        "order": INT,
        "is_active": BOOL,
    }
    FIELDS = ("label_zh", "label_en", "order", "is_active")

    def key(self, item: dict) -> str:
        return f"{item.get('list', '')}.{item.get('code', '')}"

    def _item(self, choice: Choice) -> dict:
        return {
            "list": choice.choice_list.key,
            "code": choice.code,
            "label_zh": choice.label_zh,
            "label_en": choice.label_en,
            "order": choice.order,
            "is_active": choice.is_active,
        }

    def export(self) -> list[dict]:
        rows = Choice.objects.select_related("choice_list")
        return sorted((self._item(c) for c in rows), key=self.key)

    def validate(self, item: dict) -> list[str]:
        messages = check_fields(item, self.SPEC, ("list", "code", "label_zh", "label_en"))
        key = item.get("list")
        if isinstance(key, str) and key and not ChoiceList.objects.filter(key=key).exists():
            messages.append(
                _("“list”: there is no list %(list)s; use one of: %(lists)s.")
                % {
                    "list": key,
                    "lists": ", ".join(choice_lists.lists().values_list("key", flat=True)),
                }
            )
        return messages

    def apply(self, item: dict, *, actor) -> str:
        choice_list = ChoiceList.objects.get(key=item["list"])
        rows = [self._item(c) for c in choice_list.choices.order_by("order", "id")]
        current = next((r for r in rows if r["code"] == item["code"]), None)
        if current is not None and not differences(current, item, self.FIELDS):
            return "unchanged"
        merged = {**(current or {"order": 0, "is_active": True}), **item}
        rows = [r for r in rows if r["code"] != item["code"]] + [merged]
        # The service takes the whole list (it checks one option stays active) and writes
        # only the rows that differ.
        choice_lists.choice_list_update(actor=actor, choice_list=choice_list, rows=rows)
        return "created" if current is None else "changed"
