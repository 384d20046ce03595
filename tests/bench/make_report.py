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
    return parser.parse_args()


def load(path):
    """Read the results and merge the rounds (see merge_rows and the choice of `methods`)."""
    workload, method_records, rows = None, {}, []
    with open(path, encoding="utf-8") as results:
        for line in results:
            record = json.loads(line)
            if record["type"] == "workload":
                workload = record
            elif record["type"] == "method":
                method_records.setdefault(record["process"], []).append(record)
            else:
                rows.append(record)
    if workload is None:
        sys.exit(f"make_report: {path} has no workload record; run arbor_bench --method groundtruth")
    # Per process, the round whose build was fastest supplies build time, memory and extras.
    methods = {process: min(records, key=lambda r: r["build_s"])
               for process, records in method_records.items()}
    return workload, methods, merge_rows(rows)


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
    workload, methods, rows = load(args.results)
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
        "Fashion-MNIST, every query restricted to the vectors one tenant may read. The numbers "
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
        f"{shared.get('nlist', 'n/a')}, trained on {shared.get('train_vectors', 'n/a'):,} "
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
        f"searches with max(ef, k), so ef=10 is its fastest setting for k=10.\n")
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
    for statement, measured, passed in goals(workload, methods, rows, mixes):
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
