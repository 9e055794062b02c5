from tests.access import Rule

CAREGROUP = frozenset({"caregroup"})

RULES: dict[str, Rule] = {}

# --- exports (branch "exports": zelfzorg/contracting/export_views.py) ---------------------------


def _export_params(world, db):
    return {"care_group_id": world.care_group.id, "fmt": "csv"}


def _schedule_params(world, db):
    from tests.contracting.test_schedule import make_schedule

    return {"schedule_id": make_schedule(db, world).id}


def _file_params(world, db):
    from tests.contracting.test_schedule import make_file

    return {"file_id": make_file(db, world).id}


RULES |= {
    "contracting_exports.export": Rule(
        CAREGROUP, _export_params, data={"van": "2025-01-01", "tot": "2025-12-31"}
    ),
    "contracting_exports.schedules": Rule(CAREGROUP),
    "contracting_exports.stop_schedule": Rule(CAREGROUP, _schedule_params),
    "contracting_exports.download": Rule(CAREGROUP, _file_params),
}
# --- end of exports -----------------------------------------------------------------------------
