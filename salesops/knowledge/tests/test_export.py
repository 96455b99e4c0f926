"""The knowledge list's export: what the list shows, as CSV and Excel."""

import io

import openpyxl
import pytest
from django.urls import reverse

from salesops.knowledge.tests.factories import make_item
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_export_follows_the_filters_and_the_language(client):
    rep = UserFactory(role="rep", language="zh-hans")
    editor = UserFactory(role="admin")
    make_item(editor, title="价格异议应对话术", kind="script")
    make_item(editor, title='=HYPERLINK("http://x")', kind="case")
    client.force_login(rep)
    url = reverse("knowledge:export", args=["xlsx"])
    response = client.get(url, {"kind": "script"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == "标题"
    assert [r[0] for r in rows[1:]] == ["价格异议应对话术"]
    csv = client.get(reverse("knowledge:export", args=["csv"]), {"kind": "case"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text  # a formula is shown as text, never run
