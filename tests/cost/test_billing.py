"""Bill import (AWS CUR CSV/Parquet, GCP export, FOCUS), transfer classification and the guide's
egress arithmetic, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seedstack.cost.billing import import_bill, read_bill
from seedstack.cost.egress import classify_aws_usage_type, transfer_cost_usd, transfer_summary, yearly_usd
from seedstack.errors import InvalidRequestError

DATA = Path(__file__).parent / "data"
OCT1 = 1790812800.0  # 2026-10-01 UTC


def test_the_guides_egress_arithmetic() -> None:
    per_transfer = transfer_cost_usd(5 * 1000, 0.09)  # 5 TB cross-region at $0.09/GB
    assert per_transfer == pytest.approx(450.0)
    assert yearly_usd(per_transfer) == pytest.approx(164_250.0)  # daily copies: ~$164k/year, not "$13,000+"
    assert yearly_usd(per_transfer) > 12 * 13_000


@pytest.mark.parametrize(
    ("usage", "zone", "expected"),
    [
        ("USE1-USW2-AWS-Out-Bytes", None, ("cross-region", "us-east-1", "us-west-2")),
        ("EUC1-USE1-AWS-In-Bytes", None, ("cross-region", "us-east-1", "eu-central-1")),
        (
            "USE1-DataTransfer-Regional-Bytes",
            "us-east-1b",
            ("cross-zone", "us-east-1b", "another zone in us-east-1"),
        ),
        ("APS3-DataTransfer-Out-Bytes", None, ("internet", "ap-south-1", "internet")),
        ("DataTransfer-Out-Bytes", None, ("internet", "us-east-1", "internet")),
        ("USE1-BoxUsage:p5.48xlarge", None, None),
    ],
)
def test_aws_usage_types(usage: str, zone: str | None, expected: tuple[str, str, str] | None) -> None:
    got = classify_aws_usage_type(usage, zone)
    assert (None if got is None else (got.kind, got.src, got.dst)) == expected


def test_aws_cur_csv(store) -> None:  # type: ignore[no-untyped-def]
    imp = import_bill(store, DATA / "aws_cur.csv")
    assert imp.format == "aws-cur" and imp.rows == 6
    assert imp.total_usd == pytest.approx(55.04 + 450 + 10 + 9 + 1150)
    assert imp.transfer_usd == pytest.approx({"cross-region": 450.0, "cross-zone": 10.0, "internet": 9.0})
    s = transfer_summary(store, OCT1, OCT1 + 86400)
    assert s.pairs[0] == {
        "kind": "cross-region",
        "src": "us-east-1",
        "dst": "us-west-2",
        "usd": 450.0,
        "quantity": 5000.0,
        "lines": 1,
    }
    assert s.avoidable_usd == pytest.approx(460.0)
    assert s.share == pytest.approx(469 / 1674.04, abs=1e-6)
    again = import_bill(store, DATA / "aws_cur.csv")  # re-import replaces, does not double
    assert again.id == imp.id
    assert store.query_one("SELECT COUNT(*), SUM(cost) FROM bill_lines")[0] == 6


def test_aws_cur_2_parquet(tmp_path: Path) -> None:
    f = tmp_path / "cur2.parquet"
    pq.write_table(
        pa.table(
            {
                "line_item_usage_type": ["USE2-EUW1-AWS-Out-Bytes", "USE2-BoxUsage:g6.xlarge"],
                "line_item_unblended_cost": [20.0, 0.8],
                "line_item_usage_start_date": pa.array([1790812800, 1790812800], pa.timestamp("s", tz="UTC")),
                "line_item_usage_amount": [1000.0, 1.0],
                "product_region_code": ["us-east-2", "us-east-2"],
            }
        ),
        f,
    )
    fmt, rows = read_bill(f)
    assert fmt == "aws-cur" and rows[0][2] == OCT1
    assert (rows[0][13], rows[0][14], rows[0][15]) == ("cross-region", "us-east-2", "eu-west-1")
    assert rows[1][13] is None


def test_gcp_billing_export(store) -> None:  # type: ignore[no-untyped-def]
    imp = import_bill(store, DATA / "gcp_billing.csv")
    assert imp.format == "gcp" and imp.rows == 4
    assert imp.transfer_usd == pytest.approx({"cross-zone": 4.0, "cross-region": 6.0, "internet": 2.5})
    pairs = {p["kind"]: (p["src"], p["dst"]) for p in transfer_summary(store, OCT1, OCT1 + 3600).pairs}
    assert pairs["cross-region"] == ("Iowa", "Oregon")
    assert pairs["cross-zone"][0] == "us-central1-b"


def test_focus_csv(store) -> None:  # type: ignore[no-untyped-def]
    imp = import_bill(store, DATA / "focus.csv")
    assert imp.format == "focus" and imp.total_usd == pytest.approx(148.0)
    assert imp.transfer_usd == pytest.approx({"cross-region": 20.0, "internet": 5.0, "cross-zone": 3.0})
    providers = {r[0] for r in store.query("SELECT DISTINCT provider FROM bill_lines")}
    assert providers == {"microsoft", "aws"}


def test_unknown_columns_list_what_was_expected(tmp_path: Path) -> None:
    f = tmp_path / "bill.csv"
    f.write_text("date,amount,what\n2026-10-01,3.0,thing\n")
    with pytest.raises(
        InvalidRequestError, match=r"expected the columns of one of: aws-cur: lineItem/UsageType"
    ):
        read_bill(f)


def test_missing_column_for_a_forced_format(tmp_path: Path) -> None:
    f = tmp_path / "cur.csv"
    f.write_text("lineItem/UsageType,lineItem/UnblendedCost\nUSE1-DataTransfer-Out-Bytes,1.0\n")
    with pytest.raises(InvalidRequestError, match=r"missing lineItem/UsageStartDate"):
        read_bill(f, "aws-cur")


def test_malformed_values_are_refused_with_the_expected_columns(tmp_path: Path) -> None:
    f = tmp_path / "cur.csv"
    f.write_text("lineItem/UsageType,lineItem/UnblendedCost,lineItem/UsageStartDate\nX,abc,yesterday\n")
    with pytest.raises(InvalidRequestError, match="numeric cost and a parseable start time"):
        read_bill(f)
