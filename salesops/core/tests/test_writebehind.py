"""Write-behind: batches written by a forked child on its own connection, in order, one
transaction each; its error stops the writer; ids no one else takes."""

import asyncio
import os

import pytest
from django.db import IntegrityError, connection, connections, transaction

from salesops.core import events, history, unitofwork, writebehind
from salesops.leads.models import Channel, ChannelKind


def _channel(name: str) -> Channel:
    return Channel(name=name, kind=ChannelKind.MANUAL)


def _queue(names: list[str], actor=None) -> list[Channel]:
    """Queue new channels through the unit of work, as a bulk writer does."""
    channels = []
    with unitofwork.deferred() as unit:
        for name in names:
            channel = _channel(name)
            assert unitofwork.save_new(channel, actor, "bulk")
            events.emit("test.channel", {"id": channel.pk})
            channels.append(channel)
        unit.flush()
    return channels


def _rename(channel_id: int, name: str) -> None:
    Channel.objects.filter(pk=channel_id).update(name=name)


def _note_connection(path: str) -> None:
    """(In the child.) Leave the identity of the connection it writes through in ``path``."""
    with open(path, "w") as out:
        out.write(str(id(connections["default"].connection)))


@pytest.fixture
def received():
    got = []

    def handler(name, payload):
        # Runs in the child: what it sees is written to the database, read back here.
        Channel.objects.filter(pk=payload["id"]).update(campaign="dispatched")

    events.subscribe("test.channel", handler)
    yield got
    events.unsubscribe("test.channel", handler)


@pytest.mark.usefixtures("database_file", "received")
def test_the_child_writes_each_batch_with_history_calls_and_events_after_commit():
    assert writebehind.available()
    with history.source("import #7"), writebehind.write_behind(reserve=10) as behind:
        assert writebehind.active() is behind
        first = _queue(["甲", "乙"])
        behind.call(_rename, first[0].pk, "甲 renamed")
        behind.send()
        second = _queue(["丙"])
        # What is in flight is not in this process's view until the child answers.
        behind.send()
        assert first[0].pk and second[0].pk not in {c.pk for c in first}
    assert writebehind.active() is None
    rows = {c.pk: c for c in Channel.objects.filter(pk__in=[c.pk for c in first + second])}
    assert [rows[c.pk].name for c in first + second] == ["甲 renamed", "乙", "丙"]
    assert {c.campaign for c in rows.values()} == {"dispatched"}
    reasons = set(
        Channel.history.filter(id__in=rows).values_list("history_change_reason", flat=True)
    )
    assert reasons == {"bulk · import #7"}


@pytest.mark.usefixtures("database_file")
def test_a_failed_batch_stops_the_writer_and_rolls_back_alone():
    taken = Channel.objects.create(name="已有", kind=ChannelKind.MANUAL)
    with pytest.raises(writebehind.WriteBehindError) as failure:
        with writebehind.write_behind(reserve=10) as behind:
            good = _queue(["好"])
            behind.send()
            bad = _queue(["坏"])
            # The same id as a stored channel: the child's insert fails.
            behind.batch.steps[0][2][0]["id"] = taken.pk
            behind.send()
            behind.drain()
    assert "IntegrityError" in str(failure.value)
    assert Channel.objects.filter(pk=good[0].pk, name="好").exists()
    assert not Channel.objects.filter(name="坏").exists()
    assert Channel.history.filter(id=bad[0].pk).count() == 0


@pytest.mark.usefixtures("database_file")
def test_reserved_ids_are_not_taken_by_another_writer():
    with writebehind.write_behind(reserve=50) as behind:
        queued = _queue(["一"])
        # Another writer (here: this process, in its own transaction) gets a later id.
        with behind.paused():
            other = Channel.objects.create(name="别处", kind=ChannelKind.MANUAL)
        assert other.pk > queued[0].pk
        if connection.vendor == "sqlite":
            assert other.pk > queued[0].pk + 48  # past the reserved block
    assert Channel.objects.filter(pk=queued[0].pk, name="一").exists()


@pytest.mark.usefixtures("database_file")
def test_paused_block_writes_here_after_the_child_has_written():
    with writebehind.write_behind(reserve=5) as behind:
        queued = _queue(["先"])
        behind.send()
        with behind.paused():
            assert unitofwork.behind() is None
            assert Channel.objects.filter(pk=queued[0].pk).exists()
            with transaction.atomic():
                here = _queue(["后"])
        assert Channel.objects.filter(pk=here[0].pk).exists()


@pytest.mark.django_db
def test_not_available_inside_a_transaction_or_on_the_in_memory_database():
    # The test's own transaction (and, on SQLite, the in-memory test database): a second
    # connection would not see the data, so the block writes here as before.
    assert not writebehind.available()
    with writebehind.write_behind(reserve=5) as behind:
        assert behind is None


@pytest.mark.usefixtures("database_file")
def test_an_error_in_this_process_stops_the_child_and_keeps_what_it_wrote():
    with pytest.raises(ValueError), writebehind.write_behind(reserve=5) as behind:
        written = _queue(["写了"])
        behind.send()
        raise ValueError("the deciding process failed")
    assert Channel.objects.filter(pk=written[0].pk).exists()


@pytest.mark.usefixtures("database_file")
def test_a_clash_only_the_database_sees_is_an_integrity_error_in_the_child():
    with pytest.raises(writebehind.WriteBehindError), writebehind.write_behind(reserve=5) as b:
        b.call(_fail)
        b.drain()


def _fail() -> None:
    raise IntegrityError("clash")


@pytest.mark.usefixtures("database_file")
def test_a_child_that_dies_without_answering_stops_the_writer():
    with pytest.raises(writebehind.WriteBehindError, match="exit code 3"):
        with writebehind.write_behind(reserve=5) as behind:
            behind.call(os._exit, 3)
            behind.drain()


@pytest.mark.usefixtures("database_file")
def test_the_child_connects_anew_when_this_thread_runs_an_event_loop(tmp_path, monkeypatch):
    # While an asyncio loop runs in a thread (Playwright's sync API in the browser tests,
    # async code calling sync code), ``connections`` keeps apart the wrappers that thread
    # uses inside the loop from those it used outside; a forked child runs no loop, so it
    # would take the outside one, whose connection is still open: the parent's.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    outside = connections["default"]
    outside.ensure_connection()
    note = tmp_path / "child"

    async def import_in_the_loop() -> int:
        inside = connections["default"]
        assert inside is not outside
        with writebehind.write_behind(reserve=5) as behind:
            channel = _queue(["丁"])[0]
            behind.call(_note_connection, str(note))
        inside.close()
        return channel.pk

    channel_id = asyncio.run(import_in_the_loop())
    assert note.read_text() != str(id(outside.connection))
    assert Channel.objects.get(pk=channel_id).name == "丁"
