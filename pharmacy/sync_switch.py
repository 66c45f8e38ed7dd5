"""Switching the read-model sync mode (trigger <-> celery) without losing a write.

1. flip the database's mode (`outbox.sync_mode.set_mode`): from that commit
   on, new statements obey it -- triggers maintain the read models (trigger)
   or stand down while every change still lands in the outbox (celery);
2. wait until every transaction that started under the old mode has ended
   (the xid horizon passes the switch);
3. catch up: apply in this process every event still pending up to now (the
   events written in celery mode, on the way back to trigger mode);
4. rebuild (batched, minimal writes, see `pharmacy.rebuild`) unless skipped;
5. verify against the source join; drift left over is recomputed under the
   projector's locks and verified again (docs/architecture.md, "The lock
   protocol").

No write can be lost: whatever the mode, a committed change has an outbox
event (commands and the capture triggers write it in the same transaction),
and step 3 or the relay/workers apply every event not yet projected.
"""

from collections.abc import Callable
from dataclasses import dataclass

from outbox.positions import last_position
from outbox.sync_mode import current_mode, set_mode, wait_for_horizon
from pharmacy import projector
from pharmacy.rebuild import rebuild
from pharmacy.verify import Drift, find_drift


@dataclass
class SwitchReport:
    previous: str
    mode: str
    caught_up: int
    rebuilt_batches: int
    drift: Drift

    @property
    def ok(self) -> bool:
        return not self.drift


def switch_mode(
    target: str,
    *,
    do_rebuild: bool = True,
    timeout: float = 300.0,
    broker: str = "",
    log: Callable[[str], None] = print,
) -> SwitchReport:
    """Switch to `target` (recording `broker` with celery mode, see `outbox.sync_mode.set_mode`)."""
    previous = current_mode()
    xmax = set_mode(target, broker=broker)
    log(f"database mode: {previous} -> {target}")
    wait_for_horizon(xmax, timeout=timeout, log=log)
    caught_up = projector.catch_up(upto=last_position())
    log(f"{caught_up} pending event(s) applied")
    batches = 0
    if do_rebuild:
        batches = rebuild(progress=lambda p: log(f"rebuild: batch {p.batch}/{p.batches}"))
    drift = find_drift()
    if drift:
        # Writes made during the steps above (celery mode: their events may still be in flight).
        projector.catch_up(upto=last_position())
        ids = sorted(drift.prescription_ids)
        for start in range(0, len(ids), projector.CHUNK):
            projector.refresh_locked(ids[start : start + projector.CHUNK])
        drift = find_drift()
    return SwitchReport(previous, target, caught_up, batches, drift)
