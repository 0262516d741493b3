"""Re-index under load: real gunicorn on loopback, a load generator, and ``fahras reindex`` of a changed corpus.

    .venv/bin/python benchmarks/reindex_under_load.py [--articles 400] [--threads 4] [--after 3]

1. Index the old corpus (seeds/) and start gunicorn with gunicorn.conf.py on 127.0.0.1 (a free port); its
   access log records each request's worker pid and the load generator's request id.
2. Ask each query once to learn the whole answer (total, result ids, facets) the old generation gives.
3. Run load threads (a fresh connection per request, so requests spread over the workers) while
   ``fahras reindex`` builds the changed corpus (seeds minus one article, plus ``--articles`` SaudiNewsNet
   articles written to a temporary .jsonl from FAHRAS_SHARED; never copied into the repository).
4. Keep the load on for ``--after`` seconds after the switch, then ask each query once more for the new answers.

Printed: requests made, failures (must be 0), worst latency during the re-index and around the switch, the
time from the switch until every worker answered from the new generation (must be within 2 s), and answers
that mix two generations (must be 0: each answer must equal, as a whole, the answer of the generation it
names). Exit status 1 when a bound is broken. Everything is bounded in time and every child is killed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from helpers.server import BIN, SEEDS, gunicorn, run_fahras  # noqa: E402

SWITCH_BOUND_S = 2.0
REQUEST_TIMEOUT_S = 15.0
QUERIES: tuple[dict[str, object], ...] = (
    {"q": "بكين"},
    {"q": "بوتين"},
    {"q": "الصين OR روسيا", "per_page": 20},
    {"q": '"وزير الدفاع"'},
    {"q": ""},
    {"q": "", "sort": "oldest", "page": 2},
    {"q": "الرئيس", "mode": "any"},
    {"q": "السعودية"},
)
ACCESS_FORMAT = "%(p)s %({x-request-id}i)s %(s)s"


#: How much later than a worker's first new-generation request an old-generation one may have been sent
#: (requests in flight at the switch, picked up by the worker's threads in another order).
IN_FLIGHT_SLACK_S = 0.05


@dataclass
class Answer:
    """One request made by the load generator."""

    rid: str
    query: int
    started: float  # time.time()
    seconds: float
    status: int | None = None
    generation: str | None = None
    fingerprint: str | None = None
    error: str | None = None


@dataclass
class Report:
    """The figures a run prints."""

    requests: int = 0
    failures: int = 0
    errors: list[str] = field(default_factory=list)
    worst_latency_ms: float = 0.0
    worst_latency_reindex_ms: float = 0.0
    worst_latency_switch_ms: float = 0.0
    reindex_seconds: float = 0.0
    switch_to_all_workers_s: float | None = None
    workers: int = 0
    workers_on_new: int = 0
    mixed: int = 0
    unknown_generation: int = 0
    old_generation: str = ""
    new_generation: str = ""
    per_generation: dict[str, int] = field(default_factory=dict)

    def ok(self) -> bool:
        """True when every bound held."""
        return (
            self.requests > 0
            and self.failures == 0
            and self.mixed == 0
            and self.unknown_generation == 0
            and self.workers > 0
            and self.workers_on_new == self.workers
            and self.switch_to_all_workers_s is not None
            and self.switch_to_all_workers_s <= SWITCH_BOUND_S
        )

    def lines(self) -> list[str]:
        """The report as printed."""
        lag = "never" if self.switch_to_all_workers_s is None else f"{self.switch_to_all_workers_s:.3f} s"
        return [
            f"requests made                 {self.requests}",
            f"failures                      {self.failures}",
            f"answers per generation        {json.dumps(self.per_generation)}",
            f"answers mixing generations    {self.mixed}",
            f"answers of no known gen.      {self.unknown_generation}",
            f"re-index time                 {self.reindex_seconds:.1f} s",
            f"worst latency (whole run)     {self.worst_latency_ms:.0f} ms",
            f"worst latency during reindex  {self.worst_latency_reindex_ms:.0f} ms",
            f"worst latency switch +-1 s    {self.worst_latency_switch_ms:.0f} ms",
            f"workers seen / on new gen.    {self.workers} / {self.workers_on_new}",
            f"switch -> every worker new    {lag} (bound {SWITCH_BOUND_S:.0f} s)",
            *[f"  error: {e}" for e in self.errors[:10]],
        ]


def fingerprint(body: dict) -> str:
    """The parts of an answer that depend only on the query and the generation (not timing or caching)."""
    facets = {name: [(b["value"], b["count"], b["selected"]) for b in buckets]
              for name, buckets in body["facets"].items()}
    whole = [body["total"], body["pages"], body["relaxed"], body["suggestion"],
             [(r["id"], r["snippet"]) for r in body["results"]], facets]
    return json.dumps(whole, ensure_ascii=False, sort_keys=True)


def path_of(query: dict[str, object]) -> str:
    """The /api/search path of a query."""
    return "/api/search?" + urlencode(query)


def ask(port: int, query_number: int, rid: str) -> Answer:
    """Make one request on a fresh connection and record what came back."""
    started, clock = time.time(), time.perf_counter()
    answer = Answer(rid, query_number, started, 0.0)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("GET", path_of(QUERIES[query_number]), headers={"X-Request-Id": rid, "Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        answer.status = response.status
        if response.status == 200:
            data = json.loads(body)
            answer.generation, answer.fingerprint = data.get("generation"), fingerprint(data)
        else:
            answer.error = f"HTTP {response.status}: {body[:200]!r}"
    except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
        answer.error = f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
        answer.seconds = time.perf_counter() - clock
    return answer


def expected_answers(port: int, tag: str) -> tuple[str, dict[int, str]]:
    """Ask every query once; return the generation that answered and each query's fingerprint."""
    generations, prints = set(), {}
    for number in range(len(QUERIES)):
        answer = ask(port, number, f"{tag}-{number}")
        if answer.status != 200:
            raise RuntimeError(f"query {QUERIES[number]} failed before the load: {answer.error}")
        generations.add(answer.generation)
        prints[number] = answer.fingerprint
    if len(generations) != 1:
        raise RuntimeError(f"the expected answers came from several generations: {generations}")
    return generations.pop(), prints


def load(port: int, threads: int, stop: threading.Event, deadline: float, max_requests: int) -> list[Answer]:
    """Run load threads until ``stop`` is set, the deadline passes or ``max_requests`` were made."""
    answers: list[Answer] = []
    lock = threading.Lock()
    counter = iter(range(max_requests))

    def worker(n: int) -> None:
        while not stop.is_set() and time.time() < deadline:
            with lock:
                number = next(counter, None)
            if number is None:
                return
            answer = ask(port, number % len(QUERIES), f"load-{number}")
            with lock:
                answers.append(answer)

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=max(0.0, deadline - time.time()) + REQUEST_TIMEOUT_S + 5)
    with lock:
        return list(answers)


def worker_pids(access_log: Path) -> dict[str, str]:
    """Map each request id to the pid of the gunicorn worker that answered it."""
    pids = {}
    for line in access_log.read_text("utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("<") and parts[1] != "-":
            pids[parts[1]] = parts[0].strip("<>")
    return pids


def analyse(answers: list[Answer], expected: dict[str, dict[int, str]], old: str, new: str,
            switch_at: float, reindex: tuple[float, float], pids: dict[str, str]) -> Report:
    """Turn the recorded answers into the report."""
    report = Report(requests=len(answers), old_generation=old, new_generation=new,
                    reindex_seconds=reindex[1] - reindex[0])
    first_new: dict[str, float] = {}
    last_old: dict[str, float] = {}
    for a in answers:
        report.per_generation[a.generation or "-"] = report.per_generation.get(a.generation or "-", 0) + 1
        if a.status != 200:
            report.failures += 1
            report.errors.append(a.error or "?")
            continue
        report.worst_latency_ms = max(report.worst_latency_ms, a.seconds * 1000)
        if a.started <= reindex[1] and a.started + a.seconds >= reindex[0]:
            report.worst_latency_reindex_ms = max(report.worst_latency_reindex_ms, a.seconds * 1000)
        if a.started <= switch_at + 1 and a.started + a.seconds >= switch_at - 1:
            report.worst_latency_switch_ms = max(report.worst_latency_switch_ms, a.seconds * 1000)
        if a.generation not in expected:
            report.unknown_generation += 1
            continue
        if a.fingerprint != expected[a.generation][a.query]:
            report.mixed += 1
            report.errors.append(f"answer {a.rid} names {a.generation} but differs from that generation's answer")
        pid = pids.get(a.rid)
        if pid is None:
            continue
        if a.generation == new:
            first_new[pid] = min(first_new.get(pid, a.started), a.started)
        else:
            last_old[pid] = max(last_old.get(pid, a.started), a.started)
    workers = set(first_new) | set(last_old)
    report.workers, report.workers_on_new = len(workers), len(first_new)
    for pid in set(first_new) & set(last_old):
        # Sent later is not handled later: two requests sent a moment apart can reach a worker's two
        # threads in either order, so only an old answer sent clearly after a new one is an error.
        if last_old[pid] > first_new[pid] + IN_FLIGHT_SLACK_S:
            report.mixed += 1
            report.errors.append(f"worker {pid} answered from the old generation after answering from the new one")
    if workers and len(first_new) == len(workers):
        report.switch_to_all_workers_s = max(0.0, max(first_new.values()) - switch_at)
    return report


def changed_corpus(folder: Path, articles: int, shared: Path | None) -> Path:
    """Seeds minus their last article, plus ``articles`` SaudiNewsNet articles in a temporary .jsonl."""
    folder.mkdir(parents=True)
    rows = (SEEDS / "metadata.tsv").read_text("utf-8").splitlines()[:-1]
    (folder / "metadata.tsv").write_text("\n".join(rows) + "\n", "utf-8")
    for row in rows[1:]:
        name = row.split("\t")[0]
        shutil.copyfile(SEEDS / name, folder / name)
    if articles:
        if shared is None:
            raise RuntimeError("--articles needs the shared corpus: set FAHRAS_SHARED")
        day = sorted((shared / "corpora" / "saudinewsnet").glob("*.zip"))[0]
        with zipfile.ZipFile(day) as archive:
            member = next(n for n in archive.namelist() if n.endswith(".json"))
            records = [r for r in json.loads(archive.read(member)) if r.get("content")][:articles]
        with open(folder / "saudinewsnet-sample.jsonl", "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder


def run(workdir: Path, articles: int = 0, threads: int = 4, after: float = 3.0, max_seconds: float = 240.0,
        max_requests: int = 200_000, shared: Path | None = None, echo=print) -> Report:
    """Run the whole experiment in ``workdir`` and return the report (children are always stopped)."""
    index_dir, access_log = workdir / "index", workdir / "access.log"
    built = run_fahras("reindex", str(SEEDS), "--index", str(index_dir))
    if built.returncode != 0:
        raise RuntimeError(f"the first reindex failed: {built.stderr}")
    corpus = changed_corpus(workdir / "changed", articles, shared)
    extra = ("--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT)
    with gunicorn(index_dir, *extra, log_path=workdir / "gunicorn.log") as (port, _):
        old, old_prints = expected_answers(port, "before")
        stop = threading.Event()
        deadline = time.time() + max_seconds
        result: dict[str, list[Answer]] = {}
        loader = threading.Thread(target=lambda: result.setdefault("answers", load(
            port, threads, stop, deadline, max_requests)), daemon=True)
        loader.start()
        time.sleep(1.0)  # the load is on before the re-index starts
        echo(f"load on ({threads} threads); re-indexing {corpus} ...")
        began = time.time()
        done = run_fahras("reindex", str(corpus), "--index", str(index_dir), timeout=max_seconds)
        ended = time.time()
        if done.returncode != 0:
            stop.set()
            raise RuntimeError(f"the re-index under load failed: {done.stderr}")
        switch_at = os.stat(index_dir / "CURRENT").st_mtime  # written just before the atomic rename
        time.sleep(after)
        stop.set()
        loader.join(timeout=REQUEST_TIMEOUT_S * 2 + 10)
        new, new_prints = expected_answers(port, "after")
    time.sleep(0.2)
    expected = {old: old_prints, new: new_prints}
    return analyse(result.get("answers", []), expected, old, new, switch_at, (began, ended), worker_pids(access_log))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400, help="SaudiNewsNet articles in the changed corpus")
    parser.add_argument("--threads", type=int, default=4, help="load generator threads")
    parser.add_argument("--after", type=float, default=3.0, help="seconds of load after the switch")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="bound on the load (and the re-index)")
    args = parser.parse_args(argv)
    shared = Path(os.environ.get("FAHRAS_SHARED", REPO.parent / "shared")).resolve()
    print(f"gunicorn: {BIN / 'gunicorn'} -c gunicorn.conf.py (loopback)")
    with tempfile.TemporaryDirectory(prefix="fahras-load-") as tmp:
        report = run(Path(tmp), args.articles, args.threads, args.after, args.max_seconds,
                     shared=shared if args.articles else None)
    print(f"old generation {report.old_generation} -> new generation {report.new_generation}")
    print("\n".join(report.lines()))
    print("OK" if report.ok() else "FAILED")
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
