"""``manage.py weakrel_check``: finding orphans, exit status, output, repairs."""

import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test.utils import CaptureQueriesContext

import weakrel
from tests.blog.models import Article, Gallery, Photo, Pinboard, Tag
from tests.shop.models import (
    A,
    CharTarget,
    Customer,
    KeyHolder,
    Note,
    Order,
    Product,
    R,
    Shipment,
    UUIDTarget,
)
from weakrel.scanner import RelationScan, scan

pytestmark = pytest.mark.django_db(databases="__all__")


class TTY(StringIO):
    def isatty(self):
        return True


def check(*args, **options):
    """Run the command; return (exit status, stdout, stderr)."""
    out, err = options.pop("stdout", StringIO()), StringIO()
    try:
        call_command("weakrel_check", *args, stdout=out, stderr=err, **options)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def usage_error(*args, **options):
    with pytest.raises(CommandError) as info:
        call_command("weakrel_check", *args, stdout=StringIO(), stderr=StringIO(), **options)
    assert info.value.returncode == 2
    return str(info.value)


def orphan_orders(n, key=10**9):
    """``n`` Orders whose customer does not exist; bulk_create skips the save check."""
    return Order.objects.bulk_create(Order(customer_id=key + i) for i in range(n))


def test_clean_exits_zero():
    customer = Customer.objects.create(name="Ada")
    Order.objects.create(customer=customer)
    status, out, _ = check()
    assert status == 0
    assert "shop.Order.customer  orders -> default  scanned 1  orphans 0" in out
    assert "orphan(s)." in out.splitlines()[-1]


def test_orphans_found_exit_one_and_change_nothing():
    customer = Customer.objects.create(name="Ada")
    Order.objects.create(customer=customer)
    orphan_orders(7)
    status, out, _ = check("shop.Order")
    assert status == 1
    line = next(line for line in out.splitlines() if line.startswith("shop.Order.customer"))
    assert "orders -> default" in line
    assert "scanned 8  orphans 7" in line
    # A few sample keys, not all of them.
    assert "sample keys: 1000000000, 1000000001, 1000000002, 1000000003, 1000000004" in line
    assert "1000000005" not in line
    assert Order.objects.count() == 8


def test_orphan_after_target_deleted_behind_weakrels_back():
    customer = Customer.objects.create(name="Ada")
    Order.objects.create(customer=customer)
    Customer.objects.filter(pk=customer.pk)._raw_delete("default")
    status, out, _ = check("shop.Order.customer")
    assert status == 1
    assert f"orphans 1  sample keys: {customer.pk}" in out


def test_json_format():
    orphan_orders(2)
    status, out, err = check("shop.Order.customer", format="json", verbosity=0)
    assert status == 1
    assert err == ""
    document = json.loads(out)
    assert document["orphans"] == 2
    assert document["relations"] == [
        {
            "relation": "shop.Order.customer",
            "database": "orders",
            "target_database": "default",
            "scanned": 2,
            "orphans": 2,
            "sample": [10**9, 10**9 + 1],
            "fix": None,
            "repaired": 0,
            "remaining": 2,
            "dry_run": False,
        }
    ]


def test_scan_returns_the_report_the_command_prints():
    customer = Customer.objects.create(name="Ada")
    Order.objects.create(customer=customer)
    orphan_orders(3)
    report = weakrel.scan("shop.Order", "shop.Note")
    assert isinstance(report, weakrel.ScanReport)
    assert [f.relation for f in report] == ["shop.Order.customer", "shop.Note.order"]
    assert (report.scanned, report.orphans, report.repaired, report.remaining) == (4, 3, 0, 3)
    assert report.exit_status == 1
    status, out, _ = check("shop.Order", "shop.Note", format="json", verbosity=0)
    document = json.loads(out)
    assert status == report.exit_status
    assert document.keys() == report.as_dict().keys()
    assert {k: v for k, v in document.items() if k != "seconds"} == {
        k: v for k, v in report.as_dict().items() if k != "seconds"
    }
    assert document["seconds"] >= 0 and report.seconds > 0


def test_scan_repairs_and_counts_what_is_left():
    orphan_orders(2)
    dry = weakrel.scan("shop.Order.customer", fix="delete", dry_run=True)
    assert (dry.orphans, dry.repaired, dry.remaining, dry.exit_status) == (2, 0, 2, 1)
    assert dry.findings[0].repaired == 2  # would be deleted
    report = weakrel.scan("shop.Order.customer", fix="delete")
    assert (report.orphans, report.repaired, report.remaining, report.exit_status) == (2, 2, 0, 0)
    assert report.as_dict()["relations"][0]["remaining"] == 0
    assert weakrel.scan("shop.Order.customer").orphans == 0


def test_scan_refuses_what_the_command_calls_a_usage_error():
    with pytest.raises(weakrel.ScanError, match="no model 'Nowhere'"):
        weakrel.scan("shop.Nowhere")
    with pytest.raises(weakrel.ScanError, match="is not nullable"):
        weakrel.scan("shop.Order.customer", fix="null")


def test_json_keeps_progress_off_stdout():
    orphan_orders(2)
    status, out, err = check("shop.Order.customer", format="json")
    assert status == 1
    json.loads(out)
    assert "Checking shop.Order.customer" in err


def test_labels_select_relations():
    def relations(*labels):
        return {f.relation for f in scan(*labels)}

    assert relations("shop.Order.customer") == {"shop.Order.customer"}
    assert relations("shop.A") == {
        f"shop.A.{name}"
        for name in (
            "cascade",
            "protect",
            "restrict",
            "setnull",
            "setdefault",
            "donothing",
            "cascade_owner",
        )
    }
    assert "shop.KeyHolder.product" in relations("shop")
    assert relations("shop.Order.customer_id") == {"shop.Order.customer"}
    assert relations() >= relations("shop")


@pytest.mark.parametrize(
    "label, message",
    [
        ("nope", "No installed app with label 'nope'"),
        ("shop.Nope", "App 'shop' has no model 'Nope'"),
        ("shop.Order.total", "shop.Order has no weak relation 'total'"),
        ("shop..x", "Invalid relation"),
        ("a.b.c.d", "Invalid relation"),
    ],
)
def test_unknown_label_is_a_usage_error(label, message):
    assert message in usage_error(label)


def test_usage_errors():
    assert "--dry-run only applies together with --fix" in usage_error(dry_run=True)
    assert "--batch-size" in usage_error(batch_size=0)
    assert "is not nullable" in usage_error("shop.Order.customer", fix="null")
    assert "has no default" in usage_error("shop.Order.customer", fix="default")
    message = usage_error("shop.Order.customer", fix="pull")
    assert "WeakReferencesMany fields only" in message


def test_one_query_per_batch(django_assert_num_queries):
    customer = Customer.objects.create(name="Ada")
    Order.objects.bulk_create(Order(customer_id=customer.pk) for _ in range(23))
    orphan_orders(2)
    with (
        CaptureQueriesContext(connections["orders"]) as source,
        CaptureQueriesContext(connections["default"]) as target,
    ):
        status, _, _ = check("shop.Order.customer", batch_size=10, verbosity=0)
    assert status == 1
    # 25 rows in batches of 10: three pages read, three IN queries on the target.
    assert len(source.captured_queries) == 3
    assert len(target.captured_queries) == 3
    assert "LIMIT 10" in source.captured_queries[1]["sql"]


def test_scan_is_streamed_by_primary_key():
    customer = Customer.objects.create(name="Ada")
    Order.objects.bulk_create(Order(customer_id=customer.pk) for _ in range(5))
    orphan_orders(3)
    relation_scan = RelationScan(Order._meta.get_field("customer"), batch_size=2)
    progress = list(relation_scan.batches())
    assert progress == [2, 4, 6, 8]
    assert relation_scan.finding.orphans == 3


def test_progress_plain_lines_when_not_a_terminal():
    orphan_orders(30)
    status, out, _ = check("shop.Order.customer", batch_size=10)
    assert status == 1
    assert "\r" not in out
    assert "  Checking shop.Order.customer (orders -> default): 10/30 rows (33%)" in out
    assert "  Checking shop.Order.customer (orders -> default): 30/30 rows (100%)" in out


def test_progress_bar_on_a_terminal():
    orphan_orders(30)
    status, out, _ = check("shop.Order.customer", batch_size=10, stdout=TTY())
    assert status == 1
    assert "\r  Checking shop.Order.customer (orders -> default) [##########" in out
    assert "20/30" in out


def test_verbosity_zero_prints_only_the_result():
    orphan_orders(3)
    status, out, _ = check("shop.Order.customer", verbosity=0, batch_size=1)
    assert status == 1
    assert out.splitlines() == [
        "shop.Order.customer  orders -> default  scanned 3  orphans 3  "
        "sample keys: 1000000000, 1000000001, 1000000002"
    ]


def test_fix_delete_follows_the_orphans_own_relations():
    customer = Customer.objects.create(name="Ada")
    kept = Order.objects.create(customer=customer)
    orphans = orphan_orders(2)
    Shipment.objects.bulk_create([Shipment(order_id=o.pk) for o in [kept, *orphans]])
    Note.objects.bulk_create([Note(order_id=o.pk) for o in [kept, *orphans]])
    status, out, _ = check("shop.Order.customer", fix="delete")
    assert status == 0  # every orphan found was repaired
    assert "orphans 2" in out and "deleted: 2" in out
    assert out.splitlines()[-1].endswith(": 2 orphan(s), 2 repaired, 0 left.")
    assert list(Order.objects.all()) == [kept]
    # CASCADE and SET_NULL from the deleted orders ran, in their own databases.
    assert list(Shipment.objects.values_list("order_id", flat=True)) == [kept.pk]
    assert Note.objects.filter(order_id=kept.pk).count() == 1
    assert Note.objects.filter(order_id__isnull=True).count() == 2
    assert check()[0] == 0


def test_fix_null_and_dry_run():
    order = Order.objects.create(customer=Customer.objects.create(name="Ada"))
    Note.objects.create(order=order)
    Note.objects.bulk_create([Note(order_id=10**9), Note(order_id=10**9 + 1)])
    status, out, _ = check("shop.Note", fix="null", dry_run=True)
    assert status == 1
    assert "would be set to NULL: 2" in out
    assert Note.objects.filter(order_id__isnull=True).count() == 0
    status, out, _ = check("shop.Note", fix="null")
    assert status == 0
    assert "set to NULL: 2" in out
    assert Note.objects.filter(order_id__isnull=True).count() == 2
    assert Note.objects.filter(order_id=order.pk).count() == 1
    assert check("shop.Note")[0] == 0


def test_fix_on_delete_applies_each_relations_rule():
    r = R.objects.create(name="live")
    default = R.objects.get(pk=A._meta.get_field("setdefault").get_default())
    gone = 10**9
    names = ("cascade", "protect", "restrict", "setnull", "setdefault", "donothing")
    A.objects.bulk_create(
        [A(name=name, **{f"{name}_id": gone, "setdefault_id": None}) for name in names]
        + [A(name="live", cascade_id=r.pk, setdefault_id=None)]
    )
    A.objects.filter(name="setdefault").update(setdefault_id=gone)
    status, out, _ = check("shop.A", fix="on-delete", verbosity=0)
    assert status == 1  # the PROTECT, RESTRICT and DO_NOTHING orphans are left
    assert set(A.objects.values_list("name", flat=True)) == {
        "protect",
        "restrict",
        "setnull",
        "setdefault",
        "donothing",
        "live",
    }
    assert A.objects.get(name="setnull").setnull_id is None
    assert A.objects.get(name="setdefault").setdefault_id == default.pk
    assert A.objects.get(name="protect").protect_id == gone
    assert "shop.A.protect" in out and "left alone (on_delete=PROTECT)" in out
    # What remains is what on_delete says must not be repaired.
    findings = {f.relation: f.orphans for f in scan("shop.A")}
    assert findings == {
        "shop.A.cascade": 0,
        "shop.A.protect": 1,
        "shop.A.restrict": 1,
        "shop.A.setnull": 0,
        "shop.A.setdefault": 0,
        "shop.A.donothing": 1,
        "shop.A.cascade_owner": 0,
    }


def test_fix_default_refuses_a_default_that_does_not_exist():
    A.objects.bulk_create([A(name="x", setdefault_id=10**9)])
    default_pk = A._meta.get_field("setdefault").get_default()
    R.objects.filter(pk=default_pk).delete()
    field = A._meta.get_field("setdefault")
    field_default = field.default
    field.default = default_pk
    field.__dict__.pop("_get_default", None)  # a cached_property on Field
    try:
        with pytest.raises(CommandError, match="does not exist in database 'default'"):
            call_command("weakrel_check", "shop.A.setdefault", fix="default", stdout=StringIO())
    finally:
        field.default = field_default
        field.__dict__.pop("_get_default", None)
    assert A.objects.get(name="x").setdefault_id == 10**9


def test_other_key_types():
    t = UUIDTarget.objects.create()
    CharTarget.objects.create(code="ok")
    Product.objects.create(name="p", sku="SKU-1")
    KeyHolder.objects.bulk_create(
        [
            KeyHolder(uuid_target_id=t.pk, char_target_id="ok", product_id="SKU-1"),
            KeyHolder(uuid_target_id=uuid.uuid4(), char_target_id="OK", product_id="sku-1"),
        ]
    )
    findings = {f.relation: (f.scanned, f.orphans, f.sample) for f in scan("shop.KeyHolder")}
    assert findings["shop.KeyHolder.char_target"] == (2, 1, ["OK"])
    assert findings["shop.KeyHolder.product"] == (2, 1, ["sku-1"])
    assert findings["shop.KeyHolder.uuid_target"][:2] == (2, 1)


def test_repair_rechecks_keys_before_writing():
    """A target that appears between the check and the repair keeps its dependents."""
    order = orphan_orders(1)[0]
    relation_scan = RelationScan(Order._meta.get_field("customer"), fix="delete")
    Customer.objects.create(pk=order.customer_id, name="back")
    assert relation_scan.apply("delete", [order.pk], {order.customer_id}) == 0
    assert Order.objects.filter(pk=order.pk).exists()


# -- WeakReferencesMany: lists of keys ------------------------------------------------


GONE = 10**9


def articles(*lists):
    """Articles holding these lists as they are: bulk_create skips the save check."""
    return Article.objects.bulk_create(
        Article(title=str(i), tags_ids=keys) for i, keys in enumerate(lists)
    )


def lists_of(model, attname):
    return list(model.objects.order_by("pk").values_list(attname, flat=True))


@pytest.fixture
def tags():
    return [Tag.objects.create(name=name).pk for name in ("a", "b", "c")]


def test_references_many_orphans_are_rows_holding_a_missing_key(tags):
    a, b, c = tags
    articles([a, b], [a, GONE], [GONE + 1, b, GONE], [], [c])
    status, out, _ = check("blog.Article.tags", verbosity=0)
    assert status == 1
    assert out.splitlines() == [
        "blog.Article.tags  default -> orders  scanned 5  orphans 2  "
        f"sample keys: {GONE}, {GONE + 1}"
    ]
    assert lists_of(Article, "tags_ids") == [[a, b], [a, GONE], [GONE + 1, b, GONE], [], [c]]


def test_references_many_one_target_query_per_batch(tags):
    a, b, c = tags
    articles([a, b, c], [a, GONE], [b, GONE + 1], [c, a], [GONE + 2])
    with (
        CaptureQueriesContext(connections["default"]) as source,
        CaptureQueriesContext(connections["orders"]) as target,
    ):
        relation_scan = RelationScan(Article._meta.get_field("tags"), batch_size=2)
        assert list(relation_scan.batches()) == [2, 4, 5]
    # Three pages by primary key, one IN query per page for every key of its lists.
    assert len(source.captured_queries) == 3
    assert len(target.captured_queries) == 3
    assert relation_scan.finding.orphans == 3
    assert relation_scan.finding.sample == [GONE, GONE + 1, GONE + 2]


def test_references_many_fix_pull_removes_only_missing_keys(tags):
    a, b, c = tags
    articles([a, b], [a, GONE], [GONE + 1, b, GONE, c], [], [GONE])
    status, out, _ = check("blog.Article", fix="pull", dry_run=True, verbosity=0)
    assert status == 1 and "orphans 3" in out and "would be pulled: 3" in out
    assert lists_of(Article, "tags_ids")[1] == [a, GONE]
    status, out, _ = check("blog.Article", fix="pull", verbosity=0)
    assert status == 0 and "orphans 3" in out and "pulled: 3" in out
    # Stored order is kept; rows without a missing key are not rewritten.
    assert lists_of(Article, "tags_ids") == [[a, b], [a], [b, c], [], []]
    assert check("blog.Article")[0] == 0


def test_references_many_fix_pull_uuid_keys():
    """Gallery (orders) -> Photo (third): UUID keys, JSON_OVERLAPS on MariaDB."""
    kept = Photo.objects.create().pk
    gone = uuid.uuid4()
    Gallery.objects.bulk_create([Gallery(photos_ids=[gone, kept]), Gallery(photos_ids=[kept])])
    [finding] = scan("blog.Gallery.photos", fix="pull")
    assert (finding.scanned, finding.orphans, finding.repaired) == (2, 1, 1)
    assert finding.sample == [gone]
    assert lists_of(Gallery, "photos_ids") == [[kept], [kept]]


def test_references_many_fix_on_delete(tags):
    a, b, _ = tags
    Pinboard.objects.bulk_create(
        [
            Pinboard(
                protected_ids=[a, GONE],
                restricted_ids=[GONE],
                ignored_ids=[GONE, b],
                repeated_ids=[GONE, a, GONE, a],
            )
        ]
    )
    status, out, _ = check("blog.Pinboard", fix="on-delete", verbosity=0)
    assert status == 1
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "left alone (on_delete=PROTECT)" in lines["blog.Pinboard.protected"]
    assert "left alone (on_delete=RESTRICT)" in lines["blog.Pinboard.restricted"]
    assert "left alone (on_delete=DO_NOTHING)" in lines["blog.Pinboard.ignored"]
    assert "pulled: 1" in lines["blog.Pinboard.repeated"]
    board = Pinboard.objects.get()
    # PULL removes every occurrence; the other lists keep their missing keys.
    assert board.repeated_ids == [a, a]
    assert (board.protected_ids, board.restricted_ids, board.ignored_ids) == (
        [a, GONE],
        [GONE],
        [GONE, b],
    )


def test_references_many_fix_delete_deletes_the_holding_rows(tags):
    a, b, _ = tags
    kept = articles([a, b], [a, GONE], [GONE])[0]
    status, out, _ = check("blog.Article.tags", fix="delete", verbosity=0)
    assert status == 0 and "deleted: 2" in out
    assert list(Article.objects.all()) == [kept]


def test_references_many_null_and_default_are_usage_errors():
    for fix in ("null", "default"):
        message = usage_error("blog.Article.tags", fix=fix)
        assert "holds a list of keys" in message and "--fix=pull" in message


def test_references_many_repair_rechecks_lists_before_writing(tags):
    a, b, _ = tags
    changed, revived, gone = articles([a, GONE], [b, GONE + 1], [GONE + 2])
    relation_scan = RelationScan(Article._meta.get_field("tags"), fix="pull")
    # Between the check and the repair: one list is saved without the missing key,
    # one missing target is created.
    Article.objects.filter(pk=changed.pk).update(tags_ids=[b])
    Tag.objects.create(pk=GONE + 1, name="back")
    pks = [changed.pk, revived.pk, gone.pk]
    assert relation_scan.apply("pull", pks, {GONE, GONE + 1, GONE + 2}) == 1
    assert lists_of(Article, "tags_ids") == [[b], [b, GONE + 1], []]


def test_references_many_labels(tags):
    assert {f.relation for f in scan("blog")} == {
        "blog.Article.tags",
        "blog.Pinboard.protected",
        "blog.Pinboard.restricted",
        "blog.Pinboard.ignored",
        "blog.Pinboard.repeated",
        "blog.Gallery.photos",
        # The generic keys (tests/test_generic_scan.py).
        *(f"blog.{name}.target" for name in ("Comment", "Flag", "Pin", "Like", "Sighting")),
        "blog.LegacyNote.target",
        # The polymorphic HasManyThrough's through keys (tests/test_generic_through.py).
        "blog.Favorite.reader",
        "blog.Favorite.item",
    }
    assert [f.relation for f in scan("blog.Article.tags_ids")] == ["blog.Article.tags"]


def test_check_references_checks_lists_in_one_query_per_relation(tags, django_assert_num_queries):
    a, b, c = tags
    batch = [Article(tags_ids=[a, b]), Article(tags_ids=[c, a]), Article(tags_ids=[])]
    with django_assert_num_queries(1, using="orders"):
        weakrel.check_references(batch)
    batch.append(Article(tags_ids=[b, GONE]))
    with (
        django_assert_num_queries(1, using="orders"),
        pytest.raises(weakrel.DanglingReferenceError, match=f"id={GONE}") as info,
    ):
        weakrel.check_references(batch)
    assert (info.value.value, info.value.database) == (GONE, "orders")
    assert Article.objects.count() == 0
