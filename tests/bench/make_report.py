#!/usr/bin/env python3
"""Write docs/benchmarks.md and the recall-vs-QPS plot from arbor_bench's JSON-lines results.

run_benchmarks.sh calls this after every method has run; it can be rerun alone on a results
file. Only the Python standard library and matplotlib are used.
"""

import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib import ticker  # noqa: E402

MB = 1e6
RECALL_TARGET = 0.95
# End to end through arbord, QPS at least this fraction of the in-process figure at the same budget.
E2E_QPS_TARGET = 0.7
PLOT_MIN_RECALL = 0.8  # the plot shows recall from here up; the tables list every point
# The recall axis is a logit scale, on which 1.0 lies at infinity: recall is drawn at this value
# at most.
PLOT_MAX_RECALL = 0.9999
METHOD_ORDER = ["arbor", "arbor-noprune", "arbor-exact", "faiss-ivf-shared", "faiss-ivf-tenant",
                "hnsw-tenant"]
METHOD_TITLES = {
    "arbor": "Arbor CuratorIndex",
    "arbor-noprune": "Arbor CuratorIndex without pruning",
    "arbor-exact": "Arbor exact scan",
    "faiss-ivf-shared": "faiss IVF, shared + bitmap filter",
    "faiss-ivf-tenant": "faiss IVF per tenant",
    "hnsw-tenant": "hnswlib HNSW per tenant",
}
PER_TENANT = ["faiss-ivf-tenant", "hnsw-tenant"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", required=True, help="JSON-lines file written by arbor_bench")
    parser.add_argument("--environment", required=True,
                        help="JSON file of the run: command, machine, date, versions")
    parser.add_argument("--markdown", required=True, help="report to write")
    parser.add_argument("--plot", required=True, help="PNG to write")
    parser.add_argument("--plot-link", required=True,
                        help="path of the PNG as the report links it")
    parser.add_argument("--notes",
                        help="hand-written markdown (trials and separate runs) placed before "
                             "the section on reproducing")
    return parser.parse_args()


def load(path):
    """Read the results and merge the rounds (see merge_rows, merge_e2e_rows and `methods`)."""
    workload, method_records, rows, e2e_rows, references = None, {}, [], [], []
    with open(path, encoding="utf-8") as results:
        for line in results:
            record = json.loads(line)
            if record["type"] == "workload":
                workload = record
            elif record["type"] == "method":
                method_records.setdefault(record["process"], []).append(record)
            elif record["type"] == "e2e":
                e2e_rows.append(record)
            elif record["type"] == "batched_reference":
                references.append(record)
            elif record["type"] == "row":
                rows.append(record)
    if workload is None:
        sys.exit(f"make_report: {path} has no workload record; run arbor_bench --method groundtruth")
    # Per process, the round whose build was fastest supplies build time, memory and extras.
    methods = {process: min(records, key=lambda r: r["build_s"])
               for process, records in method_records.items()}
    return workload, methods, merge_rows(rows), merge_e2e_rows(e2e_rows), merge_references(
        references)


def merge_rows(rows):
    """Merge the rounds of each (method, mix, knob): the best QPS and CPU time of any round.

    Latency percentiles come from the round with the best 1-thread QPS. Recall is the lowest
    over the rounds and unreadable results the most, although both are expected to repeat.
    """
    groups = {}
    for row in rows:
        groups.setdefault((row["method"], row["mix"], row["knob"], row["value"]), []).append(row)
    merged = []
    for group in groups.values():
        row = dict(max(group, key=lambda r: r["qps_1t"]))
        row["qps_nt"] = max(r["qps_nt"] for r in group)
        row["cpu_us_1t"] = min(r["cpu_us_1t"] for r in group)
        row["recall"] = min(r["recall"] for r in group)
        row["unreadable_results"] = max(r["unreadable_results"] for r in group)
        row["rounds"] = len(group)
        merged.append(row)
    return merged


def merge_e2e_rows(rows):
    """Merge the rounds of each end-to-end setting: the row of the best QPS, the lowest recall."""
    groups = {}
    for row in rows:
        key = (row["mix"], row["mode"], row["streams"], row["channels"], row["knob"], row["value"])
        groups.setdefault(key, []).append(row)
    merged = []
    for group in groups.values():
        row = dict(max(group, key=lambda r: r["qps"]))
        row["recall"] = min(r["recall"] for r in group)
        row["unreadable_results"] = max(r["unreadable_results"] for r in group)
        row["rounds"] = len(group)
        merged.append(row)
    return merged


def merge_references(rows):
    """Merge the rounds of each in-process batched reference: best QPS and CPU, lowest recall."""
    groups = {}
    for row in rows:
        groups.setdefault((row["mix"], row["queries_per_call"], row["value"]), []).append(row)
    merged = []
    for group in groups.values():
        row = dict(group[0])
        row["qps_1t"] = max(r["qps_1t"] for r in group)
        row["qps_nt"] = max(r["qps_nt"] for r in group)
        row["cpu_us_1t"] = min(r["cpu_us_1t"] for r in group)
        row["recall"] = min(r["recall"] for r in group)
        merged.append(row)
    return merged


def in_process_row(rows, references, e2e_row):
    """Return the in-process figures to compare an end-to-end row with, or None if not measured.

    Single-query rows compare with the arbor row of the same mix and budget. SearchBatch rows
    compare with the in-process run of the same batched queries (type "batched_reference").
    """
    if e2e_row["mode"] == "batch":
        candidates = [r for r in references if r["queries_per_call"] == e2e_row["queries_per_call"]]
    else:
        candidates = [r for r in rows if r["method"] == "arbor"]
    for row in candidates:
        if row["mix"] == e2e_row["mix"] and row["value"] == e2e_row["value"]:
            return row
    return None


def passing_rows(rows, method, mix):
    return [r for r in rows if r["method"] == method and r["mix"] == mix
            and r["recall"] >= RECALL_TARGET]


def best_qps(rows, method, mix, field="qps_1t"):
    """The row of `method` on `mix` with the highest `field` among rows at recall@10 >= target."""
    passing = passing_rows(rows, method, mix)
    return max(passing, key=lambda r: r[field]) if passing else None


def least_cpu(rows, method, mix):
    """The row of `method` on `mix` with the least CPU time per query at recall@10 >= target."""
    passing = passing_rows(rows, method, mix)
    return min(passing, key=lambda r: r["cpu_us_1t"]) if passing else None


def fmt(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def knob_text(row):
    return "exact" if row["knob"] == "exact" else f"{row['knob']}={row['value']}"


def result_table(rows, methods, mix, threads):
    lines = [
        f"| method | knob | recall@10 | QPS 1t | QPS {threads}t | p50 µs | p99 µs "
        "| CPU µs/query | memory counted MB | RSS MB | build s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for method in METHOD_ORDER:
        for row in [r for r in rows if r["method"] == method and r["mix"] == mix]:
            process = methods.get(row["process"], {})
            rss = (process.get("rss_after_bytes", 0) - process.get("rss_before_bytes", 0)) / MB
            lines.append(
                f"| {method} | {knob_text(row)} | {row['recall']:.4f} | {fmt(row['qps_1t'])} "
                f"| {fmt(row['qps_nt'])} | {fmt(row['p50_us'])} | {fmt(row['p99_us'])} "
                f"| {fmt(row['cpu_us_1t'], 1)} | {fmt(process.get('memory_counted_bytes', 0) / MB, 1)} | {fmt(rss, 1)} "
                f"| {fmt(process.get('build_s'), 1)} |")
    return "\n".join(lines)


def ratio_table(rows, mix, threads):
    """Per method, its best figures at recall@10 >= target and their ratio to Arbor's.

    Every ratio is a speed-up over Arbor: above 1 means faster than Arbor.
    """
    lines = [
        f"| method | best QPS 1t (knob) | ÷ Arbor | best QPS {threads}t (knob) | ÷ Arbor "
        "| least CPU µs/query (knob) | Arbor's ÷ this |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    arbor_1t = best_qps(rows, "arbor", mix)
    arbor_nt = best_qps(rows, "arbor", mix, "qps_nt")
    arbor_cpu = least_cpu(rows, "arbor", mix)
    for method in METHOD_ORDER:
        if not any(r["method"] == method and r["mix"] == mix for r in rows):
            continue
        best_1t = best_qps(rows, method, mix)
        if best_1t is None:
            lines.append(f"| {method} | recall not reached | | | | | |")
            continue
        best_nt = best_qps(rows, method, mix, "qps_nt")
        cpu = least_cpu(rows, method, mix)
        cells = [
            f"{fmt(best_1t['qps_1t'])} ({knob_text(best_1t)})",
            f"{best_1t['qps_1t'] / arbor_1t['qps_1t']:.3f}" if arbor_1t else "n/a",
            f"{fmt(best_nt['qps_nt'])} ({knob_text(best_nt)})",
            f"{best_nt['qps_nt'] / arbor_nt['qps_nt']:.3f}" if arbor_nt else "n/a",
            f"{cpu['cpu_us_1t']:.1f} ({knob_text(cpu)})",
            f"{arbor_cpu['cpu_us_1t'] / cpu['cpu_us_1t']:.3f}" if arbor_cpu else "n/a",
        ]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def e2e_goals(rows, references, e2e_rows, mixes):
    """Return a goal per mix and call mode: best end-to-end QPS per budget against in-process.

    The in-process figure is the higher of its 1-thread and multi-thread QPS at the same budget,
    because the end-to-end run uses every core for client and server together.
    """
    results = []
    for mix in mixes:
        for mode in ["single", "batch"]:
            measured, passed = [], True
            selected = [r for r in e2e_rows if r["mix"] == mix and r["mode"] == mode]
            budgets = sorted({r["value"] for r in selected})
            for budget in budgets:
                best = max((r for r in selected if r["value"] == budget), key=lambda r: r["qps"])
                local = in_process_row(rows, references, best)
                if local is None:
                    measured.append(f"budget={budget}: {fmt(best['qps'])}, no in-process row")
                    passed = False
                    continue
                local_qps = max(local["qps_1t"], local["qps_nt"])
                ratio = best["qps"] / local_qps
                passed = passed and ratio >= E2E_QPS_TARGET
                measured.append(
                    f"budget={budget}: {fmt(best['qps'])} ({best['streams']} streams) vs "
                    f"{fmt(local_qps)}, ratio {ratio:.2f}")
            if not budgets:
                continue
            calls = "single-query calls" if mode == "single" else "SearchBatch calls"
            results.append((
                f"{mix} mix: end-to-end QPS through arbord ({calls}) ≥ {E2E_QPS_TARGET}x "
                "in-process at the same budget and queries",
                "; ".join(measured), passed))
    return results


def goals(workload, methods, rows, mixes):
    """Return each goal as (statement, measured text, passed)."""
    results = []

    def qps(method, mix):
        row = best_qps(rows, method, mix)
        return row["qps_1t"] if row else 0.0

    def cpu(method, mix):
        row = least_cpu(rows, method, mix)
        return row["cpu_us_1t"] if row else float("inf")

    for mix in mixes:
        arbor_qps, arbor_cpu = qps("arbor", mix), cpu("arbor", mix)
        tenant_method = max(PER_TENANT, key=lambda m: qps(m, mix))
        tenant_qps = qps(tenant_method, mix)
        tenant_cpu = min(cpu(m, mix) for m in PER_TENANT)
        shared_qps, shared_cpu = qps("faiss-ivf-shared", mix), cpu("faiss-ivf-shared", mix)
        results.append((
            f"{mix} mix: Arbor's QPS (1 thread) at recall@10 ≥ {RECALL_TARGET} ≥ the best "
            "per-tenant index's",
            f"{fmt(arbor_qps)} vs {fmt(tenant_qps)} ({tenant_method}): ratio "
            f"{arbor_qps / tenant_qps:.2f}; by CPU time per query {tenant_cpu / arbor_cpu:.2f}"
            if tenant_qps else f"{fmt(arbor_qps)}; no per-tenant index reached the recall",
            arbor_qps > 0 and arbor_qps >= tenant_qps))
        results.append((
            f"{mix} mix: Arbor's QPS (1 thread) at recall@10 ≥ {RECALL_TARGET} ≥ 10x shared IVF "
            "with filter",
            f"{fmt(arbor_qps)} vs {fmt(shared_qps)}: ratio {arbor_qps / shared_qps:.1f}; by CPU "
            f"time per query {shared_cpu / arbor_cpu:.1f}"
            if shared_qps else f"{fmt(arbor_qps)}; shared IVF did not reach the recall",
            arbor_qps > 0 and arbor_qps >= 10 * shared_qps))

    arbor = methods.get("arbor")
    shared = methods.get("faiss-ivf-shared")
    hnsw = methods.get("hnsw-tenant")
    raw = workload["base_vectors"] * workload["dim"] * 4
    if arbor and shared:
        a, s = arbor["memory_counted_bytes"], shared["memory_counted_bytes"]
        results.append(("Arbor's total memory ≤ 1.2x shared IVF's (counted)",
                        f"{a / MB:.1f} MB vs {s / MB:.1f} MB (ratio {a / s:.3f})", a <= 1.2 * s))
    if arbor and hnsw:
        a = arbor["memory_counted_bytes"] - raw
        h = hnsw["memory_counted_bytes"] - raw
        results.append((
            "Arbor's memory beyond the raw vectors ≤ 1/4 of per-tenant HNSW's (counted, "
            "HNSW's lock tables left out)",
            f"{a / MB:.1f} MB vs {h / MB:.1f} MB (ratio {a / h:.3f})", a <= 0.25 * h))
    if arbor:
        extras, described = arbor["extras"], arbor["describe"]
        results.append(("Arbor delete < 20 µs (mean)",
                        f"{extras['delete_mean_us']:.1f} µs over {extras['deletes']} deletes",
                        extras["delete_mean_us"] < 20))
        results.append(("Arbor insert > 20,000 vectors/s",
                        f"{fmt(described['insert_vectors_per_s'])} vectors/s",
                        described["insert_vectors_per_s"] > 20000))
    return results


def memory_table(methods, workload):
    raw = workload["base_vectors"] * workload["dim"] * 4
    lines = ["| method | counted MB | beyond raw vectors MB | RSS MB | build s | counted parts "
             "| allocated but not counted | load average before / after the sweep |",
             "|---|---:|---:|---:|---:|---|---|---|"]
    for process in METHOD_ORDER:
        record = methods.get(process)
        if record is None:
            continue
        parts = ", ".join(f"{name} {value / MB:.1f}"
                          for name, value in record["memory_parts"].items())
        excluded = ", ".join(f"{name} {value / MB:.1f}"
                             for name, value in record["memory_excluded"].items()) or "–"
        rss = (record["rss_after_bytes"] - record["rss_before_bytes"]) / MB
        lines.append(
            f"| {process} | {record['memory_counted_bytes'] / MB:.1f} "
            f"| {(record['memory_counted_bytes'] - raw) / MB:.1f} | {rss:.1f} "
            f"| {record['build_s']:.1f} | {parts} | {excluded} "
            f"| {record['load_before_sweep']} / {record['load_after_sweep']} |")
    return "\n".join(lines)


def load_pruning(path):
    """Read the records of `arbor_bench --method pruning`, merging rounds by the least CPU time.

    Returns (memory records, merged rows, every round's rows); all are empty when the results
    have no pruning records.
    """
    memory, groups, raw = {}, {}, []
    with open(path, encoding="utf-8") as results:
        for line in results:
            record = json.loads(line)
            key = (record.get("structure"), record.get("keys"), record.get("bits_per_key"))
            if record["type"] == "pruning-memory":
                memory[key] = record
            elif record["type"] == "pruning-row":
                groups.setdefault(key + (record["mix"], record["budget"]), []).append(record)
                raw.append(record)
    rows = []
    for group in groups.values():
        row = dict(group[0])
        for field in ("probe_cpu_ns", "traversal_cpu_us", "search_cpu_us"):
            if field in row:
                row[field] = min(r[field] for r in group)
        rows.append(row)
    return list(memory.values()), rows, raw


def design_name(record):
    if record["structure"] == "exact":
        return "exact node sets"
    return f"Bloom, {record['keys']} keys, {record['bits_per_key']:g} bits/key"


KB = 1e3


def pruning_memory_table(memory, exact):
    lines = [
        "| design | keys (hash functions) | filter bits KB | filter headers KB "
        "| node or shortlist maps KB | map objects KB | total KB | ÷ exact |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for record in memory:
        if record["structure"] == "exact":
            keys = (f"{record['entries']:,} entries ({record['split_entries']:,} split), "
                    f"{record['entry_bytes']} B each")
            filter_bits = headers = "–"
        else:
            keys = f"{record['filter_keys']:,} ({record['hash_count']})"
            filter_bits = f"{record['filter_bytes'] / KB:.1f}"
            headers = f"{record['header_bytes'] / KB:.1f}"
        maps = record["map_bytes"] if record["structure"] == "exact" else record["shortlist_map_bytes"]
        lines.append(
            f"| {design_name(record)} | {keys} | {filter_bits} | {headers} | {maps / KB:.1f} "
            f"| {record['map_object_bytes'] / KB:.1f} | {record['total_bytes'] / KB:.1f} "
            f"| {record['total_bytes'] / exact['total_bytes']:.3f} |")
    return "\n".join(lines)


def pruning_row_table(rows, mix):
    lines = [
        "| design | budget | probes/query (checks + lookups) | false positives / negatives "
        "(rate; theory) | distinct (node, tenant) pairs: false positives / negatives "
        "| wasted visits/query | wasted centroid distances/query "
        "| probe CPU ns/query | traversal CPU µs/query | shortlists differ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row["mix"] != mix:
            continue
        pairs = f"{row['distinct_false_positives']:,} / {row['distinct_negatives']:,}"
        if row["structure"] == "exact":
            false_positives = f"0 / {row['negatives']:,}"
        else:
            false_positives = (
                f"{row['false_positives']:,} / {row['negatives']:,} "
                f"({row['false_positive_rate']:.3f}; {row['expected_false_positive_rate']:.3f})")
        lines.append(
            f"| {design_name(row)} | {row['budget']} "
            f"| {row['checks_per_query'] + row['lookups_per_query']:.1f} | {false_positives} "
            f"| {pairs} "
            f"| {row['wasted_visits_per_query']:.3f} | {row['wasted_distances_per_query']:.3f} "
            f"| {row['probe_cpu_ns']:.0f} | {row['traversal_cpu_us']:.2f} "
            f"| {row['shortlist_mismatches']} |")
    return "\n".join(lines)


def count_slower_bloom_probes(raw):
    """Count the Bloom rows whose probes were slower than the exact row of the same round, mix
    and budget. Returns (slower rows, compared rows)."""
    slower = total = 0
    for row in raw:
        if row["structure"] != "bloom":
            continue
        base = next(r for r in raw if r["structure"] == "exact" and r["round"] == row["round"]
                    and r["mix"] == row["mix"] and r["budget"] == row["budget"])
        total += 1
        slower += row["probe_cpu_ns"] > base["probe_cpu_ns"]
    return slower, total


def round_spread(raw):
    """Return the max and median ratio between the slowest and fastest round of each row's probe
    and traversal CPU times, or None when every row ran once."""
    groups = {}
    for row in raw:
        key = (row["structure"], row["keys"], row["bits_per_key"], row["mix"], row["budget"])
        groups.setdefault(key, []).append(row)
    ratios = sorted(max(r[field] for r in group) / min(r[field] for r in group)
                    for group in groups.values() if len(group) > 1
                    for field in ("probe_cpu_ns", "traversal_cpu_us"))
    if not ratios:
        return None
    return ratios[-1], ratios[len(ratios) // 2]


def pruning_choice(memory, rows, raw, exact):
    """Return the paragraphs that state the choice, from the measured figures.

    Bloom filters would be chosen if some setting saved at least 1% of the index's memory and
    its probes took no more CPU time than the exact map's.
    """
    blooms = [r for r in memory if r["structure"] == "bloom"]
    best = min(blooms, key=lambda r: r["total_bytes"])
    saved = exact["total_bytes"] - best["total_bytes"]
    index_bytes = exact["index_bytes"]
    ratios, probe_shares = [], []
    for row in rows:
        base = next(r for r in rows if r["structure"] == "exact" and r["mix"] == row["mix"]
                    and r["budget"] == row["budget"])
        probe_shares.append(row["probe_cpu_ns"] / (base["search_cpu_us"] * 1e3))
        if row["structure"] == "bloom":
            ratios.append(row["probe_cpu_ns"] / base["probe_cpu_ns"])
    max_wasted = max(r["wasted_visits_per_query"] for r in rows if r["structure"] == "bloom")
    exact_rows = [r for r in rows if r["structure"] == "exact"]
    negative_share = (sum(r["negatives"] for r in exact_rows)
                      / max(1.0, sum(r["checks_per_query"] * r["queries"] for r in exact_rows)))
    mismatches = sum(r["shortlist_mismatches"] for r in rows)
    slower, total = count_slower_bloom_probes(raw)
    spread = round_spread(raw)
    saves_memory = saved >= 0.01 * index_bytes
    probes_faster = min(ratios) <= 1.0
    costlier_paths = [f"{r['bits_per_key']:g}" for r in blooms
                      if r["keys"] == "paths" and r["total_bytes"] > exact["total_bytes"]]

    text = []
    if saves_memory and probes_faster:
        text.append("**Choice: the measurements favour per-node Bloom filters:** a setting "
                    "saves at least 1% of the index's memory and a setting probes no slower "
                    "than the exact sets.")
    else:
        missed = ", and ".join(
            ([] if saves_memory else ["no setting saves 1% of the index's memory"])
            + ([] if probes_faster else ["none probes as fast as the exact sets"]))
        text.append("**Choice: Arbor keeps its exact per-tenant node sets.** Bloom filters would "
                    "be adopted only if they saved at least 1% of the index's memory without "
                    f"slowing the probes. On this workload {missed}.")
    text.append(
        f"- Memory: the smallest Bloom design ({design_name(best)}) takes "
        f"{best['total_bytes'] / KB:.1f} KB against the exact sets' "
        f"{exact['total_bytes'] / KB:.1f} KB, a saving of {saved / KB:.1f} KB, "
        f"{100 * saved / index_bytes:.3f}% of the index's {index_bytes / 1e6:.1f} MB. The saving "
        f"is small because a search still needs a per-(node, tenant) shortlist lookup: "
        f"{exact['shortlist_entries']:,} of the {exact['entries']:,} exact entries are "
        f"shortlists, and only the {exact['split_entries']:,} split entries "
        f"({exact['split_entry_bytes'] / KB:.1f} KB) exist for pruning alone. Keyed by every "
        f"node on each vector's path, as inserts can maintain them, the filters hold "
        f"{max(r['filter_keys'] for r in blooms):,} keys"
        + (f" and cost more than the exact sets at {', '.join(costlier_paths)} bits per key."
           if costlier_paths else "."))
    text.append(
        f"- CPU: a Bloom probe hashes the tenant and tests k bits, where the exact map is one "
        f"small SwissTable probe. Per query, the Bloom design's probes took "
        f"{min(ratios):.1f}x to {max(ratios):.1f}x the exact design's CPU time (fastest of the "
        f"rounds), and they were slower in {slower} of {total} comparisons within one round. In "
        f"every design the probes are at most {100 * max(probe_shares):.1f}% of a search's CPU "
        f"time."
        + (f" The same row's CPU times differed between rounds by up to {spread[0]:.1f}x "
           f"(median {spread[1]:.2f}x), so smaller differences in traversal CPU are noise."
           if spread else ""))
    text.append(
        f"- False positives: at most {max_wasted:.3f} wasted node visits per query, each costing "
        f"a shortlist-map lookup, one filter probe per child and a centroid distance per "
        f"falsely reported child. Only {100 * negative_share:.1f}% of the exact traversal's "
        f"checks are negatives (most children of a node where a tenant is split hold some of "
        f"its vectors), so false positives have few chances. The Bloom traversals reached other "
        f"shortlists than the exact one in {mismatches} queries: "
        + ("search results are identical." if mismatches == 0 else
           "**a filter gave a false negative, which is a bug.**"))
    text.append(
        "- Maintenance: a Bloom filter cannot delete, so removals leave stale keys until the "
        "node's filter is rebuilt from the vectors below it, and Arbor's merge rule needs the "
        "count of a tenant's vectors below each split node, which the exact entry stores and a "
        "filter cannot. The Bloom rows above leave those counts out of the Bloom design's "
        "memory, which favours it.")
    return text


def pruning_section(pruning, workload):
    """The section comparing the pruning structures, or nothing when they were not measured."""
    memory, rows, raw = pruning
    exact = next((r for r in memory if r["structure"] == "exact"), None)
    if exact is None or not rows:
        return []
    order = {"exact": 0, "bloom": 1}
    memory.sort(key=lambda r: (order[r["structure"]], r["keys"] != "subtree", r["bits_per_key"]))
    rows.sort(key=lambda r: (r["mix"], r["budget"], order[r["structure"]], r["keys"] != "subtree",
                             r["bits_per_key"]))
    mixes = list(dict.fromkeys(r["mix"] for r in rows))

    out = ["## Pruning structure: Bloom filters vs exact node sets\n"]
    out.append(
        "A search for tenant T walks T's sub-tree of the shared tree, so at every node it must "
        "know whether T has vectors below. Arbor stores an exact node set per tenant (a hash map "
        "from node to entry: split flag, count, shortlist). The Curator design keeps a Bloom "
        "filter over tenant ids at each node instead, plus a per-node map from tenant to "
        "shortlist that tells the search where to stop. `arbor_bench --method pruning` builds "
        f"this workload's index ({exact['tree_nodes']} tree nodes), derives both designs from it "
        "(filters from `index/node_tenant_filter.h`, each node's filter sized for its own tenants), "
        "and runs `CuratorIndex::Search`'s best-first traversal over every query of both mixes, "
        "without the shortlist scans, with each design. *subtree* keys are the nodes of each "
        "tenant's sub-tree, the least a filter must hold; *paths* keys are all nodes on the path "
        "of each of the tenant's vectors, which inserts can maintain without knowing where the "
        f"tenant is split. (Vector, reader) placements of the index that lie off the paths "
        f"these keys were built from: {exact['placements_off_path']}.\n")
    out.extend(pruning_choice(memory, rows, raw, exact))
    out.append("")
    out.append("### Memory of the pruning structure\n")
    out.append(
        "Bytes that each design must store to run the traversal, counted from container "
        "capacities in KB (10^3 bytes); the shortlists' own slot arrays are the same in both "
        "and left out. Exact: each tenant's node map (entries of node id, count, split flag and "
        "shortlist header, plus control bytes) and its map object. Bloom: the filters' bits, a "
        f"{exact.get('tree_nodes', 0)}-node array of filter headers, and per node a map from "
        "tenant to shortlist header.\n")
    out.append(pruning_memory_table(memory, exact))
    out.append("")
    for mix in mixes:
        search = " and ".join(
            f"{r['search_cpu_us']:.1f} µs at budget {r['budget']}"
            for r in rows if r["mix"] == mix and r["structure"] == "exact")
        out.append(f"### Traversal, {mix} mix\n")
        out.append(
            f"Per query over {workload['queries_per_mix']:,} queries. A *check* asks whether "
            "the tenant has vectors below a node (a node-map probe, or a filter probe); a "
            "*lookup* asks a Bloom design's node for the tenant's shortlist. *Negatives* are "
            "checks of nodes outside the tenant's sub-tree; theory is the mean of "
            "(1 - e^(-kn/m))^k over those checks' filters. Queries of one tenant repeat the same "
            "checks, so the rate rests on the distinct (node, tenant) pairs, which are few, and "
            "one false positive pair weighs as often as its tenant is queried. *Probe CPU* "
            "replays only the "
            "traversal's recorded checks and lookups, warm in cache; *traversal CPU* adds the "
            "centroid distances and the frontier. Both are thread CPU time, the fastest of "
            "the repeats. For scale, a full `CuratorIndex::Search` (k = 10) took " + search +
            " of CPU time per query.\n")
        out.append(pruning_row_table(rows, mix))
        out.append("")
    return out


def e2e_table(rows, references, e2e_rows, mix):
    lines = [
        "| calls | streams | channels | budget | recall@10 | in-process recall@10 | QPS "
        "| ÷ in-process 1t | ÷ in-process 2t | p50 µs/call | p99 µs/call "
        "| client CPU µs/query | server CPU µs/query | added CPU µs/query | cores busy |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    selected = [r for r in e2e_rows if r["mix"] == mix]
    selected.sort(key=lambda r: (r["value"], r["mode"] != "single", r["channels"] != "shared",
                                 r["streams"]))
    for row in selected:
        local = in_process_row(rows, references, row)
        calls = "Search" if row["mode"] == "single" else f"SearchBatch of {row['queries_per_call']}"
        cpu = row["client_cpu_us"] + row["server_cpu_us"]
        if local:
            compared = (f"{local['recall']:.4f} | {fmt(row['qps'])} "
                        f"| {row['qps'] / local['qps_1t']:.2f} "
                        f"| {row['qps'] / local['qps_nt']:.2f}")
            added = f"{cpu - local['cpu_us_1t']:.1f}"
        else:
            compared = f"n/a | {fmt(row['qps'])} | n/a | n/a"
            added = "n/a"
        lines.append(
            f"| {calls} | {row['streams']} | {row['channels']} | {row['value']} "
            f"| {row['recall']:.4f} | {compared} | {fmt(row['p50_us'])} | {fmt(row['p99_us'])} "
            f"| {row['client_cpu_us']:.1f} | {row['server_cpu_us']:.1f} | {added} "
            f"| {cpu * row['qps'] / 1e6:.2f} |")
    return "\n".join(lines)


def e2e_section(workload, methods, rows, references, e2e_rows, mixes, threads):
    """Return the section on Arbor end to end through arbord, or [] when the run has none."""
    if not e2e_rows:
        return []
    record = methods.get("arbord", {})
    described = record.get("describe", {})
    extras = record.get("extras", {})
    local = methods.get("arbor", {}).get("describe", {})
    batch = max(r["queries_per_call"] for r in e2e_rows)
    batched_queries = max(r["queries"] for r in e2e_rows if r["mode"] == "batch") \
        if any(r["mode"] == "batch" for r in e2e_rows) else 0

    out = ["## Arbor end to end through arbord\n"]
    out.append(
        "The method *arbord* starts a real `arbord` as a child process on 127.0.0.1 (port 0, a "
        f"fresh temporary data directory, `--sync {'true' if described.get('sync') else 'false'}`"
        ", which only makes loading faster), creates a collection with the in-process method's "
        "index settings and `train_threshold` equal to the number of base vectors, creates the "
        f"tenants, upserts every vector as its owner ({described.get('upsert_batch', 'n/a')} per "
        "`Upsert`), applies every grant with `Share`, waits until `DescribeCollection` reports "
        "the index trained, checks every tenant's owned and readable counts against the "
        "workload, and then searches through the C++ client library (`client/client.h`) with "
        "the admin key. SIGTERM stops the server afterwards; it "
        f"{'exited with code 0' if extras.get('clean_exit') else 'did not report a clean exit'}."
        "\n")
    out.append(
        f"Streams are client threads, each sending one call at a time. *shared* channels means "
        f"every stream uses one `Client`, so one gRPC channel and TCP connection; *per-stream* "
        f"gives each stream its own `Client`, channel and connection "
        f"(`ClientOptions.own_connection`). *Search* rows send the mix's queries one per call. "
        f"*SearchBatch of {batch}* rows send {batch} queries of one tenant per call: each query "
        f"of the mix becomes {batch} queries of its tenant with other test images "
        f"({batched_queries:,} queries, same tenant distribution). Their in-process reference "
        "is the `arbor` method run on the same batched queries, in the same order, one query "
        "after the other. Latency is per call. QPS ratios divide by the in-process QPS on 1 and "
        f"on {threads} threads at the same budget.\n")
    out.append(
        "**CPU split.** Client and server share this machine's "
        f"{described.get('hardware_threads', 'n/a')} cores with no pinning: the kernel schedules the client's stream threads, gRPC's threads "
        "in both processes and arbord's worker threads over all cores. *Client CPU* is the "
        "benchmark process's CPU time (`CLOCK_PROCESS_CPUTIME_ID`) per query and *server CPU* "
        "arbord's (utime + stime from `/proc/PID/stat`, in 10 ms steps), both over the timed "
        "part of the run. *Added CPU* subtracts the in-process search threads' CPU µs/query "
        "(1 thread) from their sum, which leaves what gRPC, protobuf, authentication and the "
        "switches between processes cost. *Cores busy* is the sum times QPS.\n")

    if described:
        out.append(
            f"- Load: {workload['tenants']:,} tenants created in "
            f"{described['create_tenants_s']:.2f} s; {fmt(described['upsert_vectors_per_s'])} "
            f"vectors/s upserted ({described['upsert_s']:.2f} s in {described['upsert_calls']:,} "
            f"calls); {fmt(described['grants_per_s'])} grants/s ({described['share_s']:.2f} s in "
            f"{described['share_calls']:,} calls). The process built in "
            f"{record.get('build_s', 0):.1f} s, ground truth excluded.")
        out.append(
            f"- Training: the server's index was trained {described['train_s']:.2f} s after the "
            f"last upsert reached `train_threshold`, and the wait for it after the last share "
            f"was {described['train_wait_after_shares_s']:.2f} s. It was trained when the "
            f"collection held {described['vectors_at_training']:,} vectors: "
            f"{described['tree_nodes']} nodes, depth {described['tree_depth']} (in-process: "
            f"{local.get('tree_nodes', 'n/a')} nodes, depth {local.get('tree_depth', 'n/a')}). "
            f"The server samples at most 50,000 vectors with its own k-means seed, so its tree "
            f"is not the in-process one. arbord's log: `{described['training_log']}`")
        out.append(
            f"- Tenant sub-trees on the server: {described['tenant_shortlists']:,} shortlists and "
            f"{described['tenant_split_nodes']:,} split nodes (in-process: "
            f"{local.get('tenant_shortlists', 'n/a')} and "
            f"{local.get('tenant_split_nodes', 'n/a')})."
            f" Index memory {described['index_memory_bytes'] / MB:.1f} MB, arbord VmRSS "
            f"{described['server_rss_after_load_bytes'] / MB:.1f} MB after the load. Load average "
            f"before / after the sweep: {record.get('load_before_sweep', 'n/a')} / "
            f"{record.get('load_after_sweep', 'n/a')}.\n")

    for mix in mixes:
        out.append(f"### {mix} mix, end to end\n")
        out.append(e2e_table(rows, references, e2e_rows, mix))
        out.append("")
    return out


def plot(rows, mixes, path):
    figure, axes = plt.subplots(1, len(mixes), figsize=(6.5 * len(mixes), 5), squeeze=False)
    for axis, mix in zip(axes[0], mixes):
        for method in METHOD_ORDER:
            # In sweep order, so the line follows the knob.
            points = [(min(r["recall"], PLOT_MAX_RECALL), r["qps_1t"]) for r in rows
                      if r["method"] == method and r["mix"] == mix]
            if not points:
                continue
            axis.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                      markersize=4, label=METHOD_TITLES[method])
        axis.axvline(RECALL_TARGET, color="grey", linestyle=":", linewidth=1)
        axis.set_xscale("logit")
        axis.set_xlim(PLOT_MIN_RECALL, 0.99995)
        axis.set_xticks([0.8, 0.9, 0.95, 0.99, 0.999, PLOT_MAX_RECALL])
        axis.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:g}"))
        axis.xaxis.set_minor_formatter(ticker.NullFormatter())
        axis.set_yscale("log")
        axis.set_xlabel("recall@10")
        axis.set_ylabel("queries per second, 1 thread")
        axis.set_title(f"{mix} mix")
        axis.grid(True, which="both", linewidth=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main():
    args = parse_args()
    workload, methods, rows, e2e_rows, references = load(args.results)
    with open(args.environment, encoding="utf-8") as env_file:
        env = json.load(env_file)
    mixes = list(dict.fromkeys(r["mix"] for r in rows))
    threads = rows[0]["threads_nt"] if rows else 2
    repeats = rows[0]["repeats"] if rows else 0
    min_seconds = rows[0]["min_seconds"] if rows else 0
    plot(rows, mixes, args.plot)

    unreadable = sum(r["unreadable_results"] for r in rows)
    arbor = methods.get("arbor", {})
    shared = methods.get("faiss-ivf-shared", {}).get("describe", {})
    tenant_ivf = methods.get("faiss-ivf-tenant", {}).get("describe", {})
    hnsw = methods.get("hnsw-tenant", {}).get("describe", {})
    faiss_options = shared.get("faiss_compile_options") or tenant_ivf.get(
        "faiss_compile_options", "unknown")
    a_desc, a_extra = arbor.get("describe", {}), arbor.get("extras", {})

    out = []
    out.append("# Benchmarks: tenant-scoped search\n")
    out.append(
        "Arbor's `CuratorIndex` searched in-process against faiss and hnswlib baselines on "
        "Fashion-MNIST, every query restricted to the vectors one tenant may read, and Arbor "
        "end to end through a real `arbord` when the run includes it. The numbers "
        "below come from one run of `tests/bench/run_benchmarks.sh`; the page is generated by "
        "`tests/bench/make_report.py`, so rerunning the script replaces it.\n")
    out.append(
        "Timings on a shared 2-core virtual machine are noisy, so compare methods by the ratios "
        "within this run rather than by absolute QPS.\n")

    out.append("## Run\n")
    out.append(f"- Command: `{env['command']}`")
    out.append(f"- Date: {env['date']}")
    out.append(f"- Commit: {env['commit']}")
    out.append(f"- Machine: {env['cpu']}, {env['cores']} cores, {env['memory']} memory")
    out.append(f"- Load average at the start and end of the run (other builds share the "
               f"machine): {env['load_start']} / {env['load_end']}")
    out.append(f"- Packages: {env['packages']}")
    out.append(f"- Arbor distance kernels: {a_desc.get('distance_kernels', 'n/a')}; hnswlib "
               f"SIMD: {hnsw.get('simd', 'n/a')}; faiss compile options: "
               f"`{faiss_options.strip() or '(none)'}`\n")
    out.append(
        "**faiss numbers come from Debian's generic faiss 1.7.3 build, without AVX2, linked "
        "to the reference BLAS.** They measure the faiss that Debian 12 installs. An AVX2 build "
        "with an optimised BLAS would compute distances and train faster, by an amount this "
        "page does not measure.")
    first_probe = [r for r in rows if r["method"] == "faiss-ivf-shared" and r["value"] == 1]
    if first_probe and shared.get("nlist"):
        cpu_us = min(r["cpu_us_1t"] for r in first_probe)
        out.append(
            f"In this run a filtered shared-IVF search at nprobe=1, which is mostly the "
            f"{shared['nlist']} centroid distances, took {cpu_us:.0f} µs of CPU time, about "
            f"{cpu_us / shared['nlist']:.2f} µs per {workload['dim']}-d distance.")
    out.append("")

    out.append("## Workload\n")
    out.append(
        f"- Base: {workload['base_vectors']:,} Fashion-MNIST training images, "
        f"{workload['dim']}-d, pixel values 0–255 as floats, squared L2 distance. Queries: "
        f"test images, {workload['queries_per_mix']:,} per mix.")
    in_preferred = workload["owned_in_preferred_class"] / workload["base_vectors"]
    out.append(
        f"- {workload['tenants']:,} tenants. Owned counts follow a Zipf law with exponent "
        f"{workload['zipf_exponent']} (min {workload['owned_min']}, median "
        f"{workload['owned_median']}, max {workload['owned_max']:,}). Each tenant draws "
        f"{workload['preferred_fraction']:.0%} of its vectors from one to three preferred "
        f"classes while those classes have vectors left; in the end {in_preferred:.0%} of the "
        f"base is in its owner's preferred classes.")
    out.append(
        f"- Shares: {workload['shared_fraction']:.0%} of the vectors, each shared with 1 to "
        f"{workload['max_extra_readers']} further tenants, {workload['grants']:,} grants in all. "
        f"Readable per tenant: min {workload['readable_min']}, "
        f"median {workload['readable_median']}, max {workload['readable_max']:,}; "
        f"{workload['readable_total']:,} (vector, reader) pairs in all.")
    out.append(
        "- Mixes: *proportional* draws the tenant in proportion to its readable count; "
        "*uniform* draws every tenant equally often, so small tenants dominate.")
    out.append(
        "- Recall@10: a result counts when the tenant may read it and its exact distance is at "
        "most the 10th true distance (times 1 + 1e-6). Ground truth is brute force in double "
        "precision, cached under the build directory by a hash of the workload parameters.")
    out.append(
        f"- Results the tenant may not read, over every row: **{unreadable}**.\n")

    out.append("## Methods\n")
    out.append(
        f"1. **arbor**: `CuratorIndex`, tree trained by `ClusterTree::Train` "
        f"({a_desc.get('tree_nodes', 'n/a')} nodes, {a_desc.get('tree_leaves', 'n/a')} leaves, "
        f"depth {a_desc.get('tree_depth', 'n/a')}), then every vector upserted and every share "
        f"granted, one thread, query-aware pruning at `prune_epsilon` "
        f"{a_desc.get('prune_epsilon', 'n/a')}. The knob is `SearchOptions.budget`.")
    out.append("2. **arbor-noprune**: the same index searched with pruning turned off "
               "(`SearchOptions.prune_epsilon = -1`).")
    out.append("3. **arbor-exact**: the same index with `SearchOptions.exact = true`.")
    out.append(
        f"4. **faiss-ivf-shared**: one `IndexIVFFlat` over all vectors (nlist "
        f"{shared.get('nlist', 'n/a')}, trained on {fmt(shared.get('train_vectors'))} "
        f"vectors), searched with `SearchParametersIVF{{sel, nprobe}}` and an "
        f"`IDSelectorBitmap` per tenant. The knob is nprobe; nprobe = nlist is an exact "
        f"filtered scan.")
    out.append(
        f"5. **faiss-ivf-tenant**: one index per tenant holding every vector it may read: "
        f"`IndexIVFFlat` with nlist ≈ sqrt(n) for {tenant_ivf.get('ivf_tenants', 'n/a')} "
        f"tenants, `IndexFlatL2` for the {tenant_ivf.get('flat_tenants', 'n/a')} smaller ones. "
        f"The knob is nprobe (capped at each tenant's nlist).")
    out.append(
        f"6. **hnsw-tenant**: one hnswlib `HierarchicalNSW` per tenant (M {hnsw.get('m', 'n/a')}, "
        f"ef_construction {hnsw.get('ef_construction', 'n/a')}), a shared vector inserted into "
        f"each reader's index ({hnsw.get('stored_vectors', 0):,} stored vectors), built "
        f"{hnsw.get('build_threads', 'n/a')} tenants at a time. The knob is ef; hnswlib "
        f"searches with max(ef, k), so ef=10 is its fastest setting for k=10.")
    out.append(
        "6. **arbord** (when run): Arbor end to end, a real `arbord` loaded and searched over "
        "loopback gRPC by several concurrent streams; see *Arbor end to end through arbord*. "
        "The knob is `SearchParams.budget`.\n")
    out.append(
        "Each method runs in its own process, once per round; the rounds run one after the "
        f"other ({env['rounds']} in this run), and within a round every knob setting is timed "
        f"{repeats} times. Every figure below is the best of those: the highest QPS, the least CPU "
        "time, and the build, memory and write figures of the round with the fastest build. "
        "Latency percentiles come from the fastest 1-thread run. Queries go one per call. "
        f"QPS 1t runs the mix on one thread, QPS {threads}t splits it over {threads} threads, "
        f"and each run repeats its queries for at least {min_seconds} s. faiss searches run with OpenMP "
        "limited to 1 thread per search thread.\n")

    out.append("## Goals\n")
    out.append("| goal | measured | result |\n|---|---|---|")
    for statement, measured, passed in (goals(workload, methods, rows, mixes)
                                        + e2e_goals(rows, references, e2e_rows, mixes)):
        out.append(f"| {statement} | {measured} | {'pass' if passed else '**fail**'} |")
    out.append("")

    out.append(f"## Best QPS at recall@10 ≥ {RECALL_TARGET}, as ratios to Arbor\n")
    out.append(
        "Each method's best figure over its sweep among the settings that reach the recall. "
        "Every ratio is a speed-up over Arbor, so below 1 means slower than Arbor. CPU µs/query "
        "is the search threads' CPU time (`CLOCK_THREAD_CPUTIME_ID`) per query in the 1-thread "
        "run. Time spent preempted by other processes does not count, so it is steadier than "
        "QPS on a busy machine. Cache and memory-bandwidth contention still inflate it.\n")
    for mix in mixes:
        out.append(f"### {mix} mix\n")
        out.append(ratio_table(rows, mix, threads))
        out.append("")

    out.append("## Recall against QPS\n")
    out.append(f"![recall@10 against queries per second]({args.plot_link})\n")
    out.append(f"Queries per second on 1 thread (log scale) against recall@10 (logit scale, "
               f"which spreads out the recalls near 1; recall 1 is drawn at {PLOT_MAX_RECALL}). "
               f"Settings below recall@10 {PLOT_MIN_RECALL} are off the chart; the tables list "
               f"them.\n")

    for mix in mixes:
        out.append(f"## Results: {mix} mix\n")
        out.append(result_table(rows, methods, mix, threads))
        out.append("")

    out.append("## Memory and build time\n")
    out.append(
        "*Counted* adds up the structures' sizes (container capacities); *beyond raw vectors* "
        f"subtracts the {workload['base_vectors']:,} distinct vectors as float32 "
        f"({workload['base_vectors'] * workload['dim'] * 4 / MB:.1f} MB). *RSS* is VmRSS after "
        "the build minus VmRSS before it, in the method's own process, after `malloc_trim`. "
        "Memory in MB (10^6 bytes).\n")
    out.append(memory_table(methods, workload))
    out.append("")

    if a_desc:
        out.append("## Arbor writes\n")
        out.append(f"- Tree training: {a_desc['tree_train_s']:.1f} s.")
        out.append(f"- Insert: {fmt(a_desc['insert_vectors_per_s'])} vectors/s "
                   f"({a_desc['insert_s']:.2f} s for {workload['base_vectors']:,} upserts); per "
                   f"upsert p50 {a_desc['insert_p50_us']:.1f} µs, p99 {a_desc['insert_p99_us']:.1f} "
                   f"µs, max {a_desc['insert_max_us']:,.0f} µs.")
        out.append(f"- Share: {fmt(a_desc['grants_per_s'])} grants/s "
                   f"({a_desc['grant_s'] * 1000:.1f} ms for {workload['grants']:,} grants).")
        out.append(
            f"- Delete: mean {a_extra['delete_mean_us']:.1f} µs, p50 "
            f"{a_extra['delete_p50_us']:.1f} µs, p99 "
            f"{a_extra['delete_p99_us']:.1f} µs, max {a_extra['delete_max_us']:.1f} µs over "
            f"{a_extra['deletes']:,} deletes of random vectors; the "
            f"{a_extra['deletes_shared']:,} shared ones averaged "
            f"{a_extra['delete_shared_mean_us']:.1f} µs.")
        out.append(f"- `SetTree` re-placing every vector of every tenant: "
                   f"{a_extra['set_tree_replace_s']:.2f} s.")
        out.append(
            f"- Tenant sub-trees: {a_desc['tenant_shortlists']:,} shortlists and "
            f"{a_desc['tenant_split_nodes']:,} split nodes over all tenants, deepest shortlist "
            f"at depth {a_desc['tenant_max_shortlist_depth']}.")
        out.append(
            f"- `CheckInvariants()` after the build: "
            f"{'passed' if a_extra['invariants_ok'] else 'FAILED: ' + a_extra.get('invariant_violation', '')}"
            f"; after the deletes: "
            f"{'passed' if a_extra['invariants_ok_after_deletes'] else 'FAILED'}.\n")

    out.extend(e2e_section(workload, methods, rows, references, e2e_rows, mixes, threads))
    out.extend(pruning_section(load_pruning(args.results), workload))
    if args.notes:
        with open(args.notes, encoding="utf-8") as notes:
            out.append(notes.read().rstrip("\n") + "\n")

    out.append("## Reproducing\n")
    out.append(
        "```sh\n./deploy/install-deps.sh\n./tests/bench/run_benchmarks.sh          # full run "
        "(the date line above gives its duration)\n./tests/bench/run_benchmarks.sh --quick  # "
        "smoke test, under a minute; writes its report under the build directory\n```\n")
    out.append(
        "Every workload and method parameter is a flag of `arbor_bench` (`arbor_bench --help`); "
        "arguments after the script's own options are passed to every `arbor_bench` process.")

    with open(args.markdown, "w", encoding="utf-8") as markdown:
        markdown.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
