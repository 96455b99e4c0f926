"""The periodic mailbox poll: every minute the worker queues a poll of each active
mailbox whose interval ("poll every N minutes", per source) has passed."""

from salesops.core.sweeps import sweep

from . import mailbox, tasks


@sweep("inbox.poll_mailboxes")
def poll_mailboxes(now) -> str:
    """Queue a read of every mailbox that is due."""
    ids = [source.pk for source in mailbox.due_sources()]
    for source_id in ids:
        tasks.poll_source(source_id)
    return f"polled {len(ids)} mailbox(es)" if ids else ""
