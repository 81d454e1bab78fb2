"""`curator scan --ray`: the same scan, with decoding and scoring spread over a Ray cluster.

The driver (this process, which holds the catalog) walks, hashes and queues as a
local scan does, and inspects each pending photo exactly as the local worker does
(curator.scanning.inspection.inspect_photo: settle, hash, EXIF, moved twins, RAW+JPEG pairs).
Only the decode and the model run remotely: each inspected photo travels as a
RemotePhoto (its path, or its bytes with ship_bytes) to a pool of ScoringActor
actors, and what comes back is recorded through the worker's own recording path
(Worker._finish_batch -> Catalog.record_outcomes), one transaction per batch, by
the driver alone, so SQLite keeps a single writer.

Why actors called directly (as ray.util.ActorPool does, but two batches deep)
rather than Ray Data's map_batches: the work is a queue that the driver tops up
as files settle and that it must acknowledge batch by batch (a batch is
recorded, or it stays pending); each finished batch comes straight back to the
one writer (ray.wait), with at most two batches per actor in flight, so a
driver killed mid-run leaves only those batches to redo. Ray Data would need
the list of photos up front and put its own streaming executor and buffers
between the queue and the catalog. ActorPool keeps one batch per actor, so an
actor would wait for the driver between batches. Restarts and task retries
(max_restarts, max_task_retries) re-run the batch of an actor that died.

Ray is optional: `pip install ".[ray]"`.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curator.errors import UserError
from curator.scanning.inspection import Inspection, inspect_photo, inspection_result
from curator.actions.culling import CullingRules
from curator.scanning.worker import Worker, WorkerOptions

if TYPE_CHECKING:
    from iqa_engine import Engine
    from iqa_engine.config import EngineConfig

from curator.catalog import Outcome, ScoreRecord

RAY_EXTRA_HINT = 'Ray is not installed: pip install ".[ray]" (or pip install "ray[data]")'
ACTOR_RESTARTS = 3  # an actor that dies is restarted this many times ...
ACTOR_NAME_PREFIX = "curator-scorer-"
TASK_RETRIES = 3  # ... and the batch it was scoring re-run on it this many times


def import_ray() -> Any:
    """The ray module, or a one-line UserError naming the extra."""
    try:
        import ray
    except ImportError:
        raise UserError(RAY_EXTRA_HINT) from None
    return ray


# -- what travels -----------------------------------------------------------------------


_FOR_MODEL = ("score", "measure")  # inspections the actors decode and score


@dataclass(frozen=True)
class RemotePhoto:
    """One photo for a scoring actor: by path (every node mounts the library there) or with its bytes."""

    path: str
    data: bytes | None = None


@dataclass(frozen=True)
class RemoteResult:
    """What an actor returns for one photo: a score (iqa_engine's PhotoScore) or a one-line error."""

    score: Any = None
    error: str | None = None


@dataclass(frozen=True)
class ShippedFile:
    """A model-config or weights file the driver sends to the actors (their nodes may not have it)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ActorInfo:
    node: str  # host name of the actor's node
    fingerprint: str
    device: str


class _ShippingEngine:
    """Stands in for the engine in the driver's inspect stage: same fingerprint, but 'preparing' a photo
    only packs it for a remote actor (its bytes read here with ship_bytes)."""

    def __init__(self, fingerprint: str, config: EngineConfig, ship_bytes: bool) -> None:
        self.fingerprint = fingerprint
        self.config = config
        self.ship_bytes = ship_bytes

    def prepare_path(self, path: str) -> RemotePhoto:
        if self.ship_bytes:
            with open(path, "rb") as f:
                return RemotePhoto(path, f.read())
        return RemotePhoto(path)


# -- the actor ------------------------------------------------------------------------


class ScoringActor:
    """Loads the engine once, from the driver's EngineConfig; decodes and scores batches of RemotePhotos."""

    def __init__(self, config: EngineConfig, shipped: Sequence[Any] = (),
                 threads: int | None = None) -> None:
        from iqa_engine import Engine

        if threads:  # a CPU actor: as many torch threads as the CPUs Ray reserved for it
            import torch

            torch.set_num_threads(threads)
        self.node = socket.gethostname()
        self._tmp = tempfile.mkdtemp(prefix="curator-ray-")
        if shipped:  # the same file names, so the model name and the weights hash (the fingerprint) are unchanged
            import ray

            shipped = ray.get(shipped[0])  # [a reference]: fetched here, not inlined in the constructor's arguments
            changes: dict[str, str] = {}
            for kind, f in zip(("model", "weights"), shipped, strict=True):
                if f is None:
                    continue
                target = Path(self._tmp) / f.name
                target.write_bytes(f.data)
                changes[kind] = str(target)
            config = config.replace(**changes)
        self.engine: Engine | None = None
        try:
            self.engine = Engine(config, allow_download=False)
        except Exception as exc:  # noqa: BLE001 - reported by ready() as one line naming this node
            self.load_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        else:
            self.load_error = ""

    def ready(self) -> ActorInfo | str:
        if self.engine is None:
            return f"node {self.node} cannot load the model: {self.load_error}"
        return ActorInfo(self.node, self.engine.fingerprint, str(self.engine.backbone.device))

    def score(self, token: int, photos: Sequence[RemotePhoto]) -> tuple[int, str, list[RemoteResult], float]:
        """(token, this node, one result per photo in order, seconds). A bad photo never fails the batch.
        The token is the caller's, returned as given."""
        from iqa_engine.errors import ImageDecodeError

        assert self.engine is not None
        t0 = time.perf_counter()
        prepared: list[Any] = []
        results: list[RemoteResult | None] = []
        for photo in photos:
            if photo.data is None and not os.path.lexists(photo.path):
                prepared.append(None)
                results.append(RemoteResult(error=f"not found on node {self.node} (is the library mounted at "
                                                  "the same path there? or scan with --ray-ship-bytes)"))
                continue
            try:
                prepared.append(self.engine.prepare_path(self._local_path(photo)))
                results.append(None)
            except ImageDecodeError as exc:
                prepared.append(None)
                results.append(RemoteResult(error=str(exc) or "cannot be decoded"))
            except Exception as exc:  # noqa: BLE001 - anything about one file stays with that file
                prepared.append(None)
                results.append(RemoteResult(error=f"could not be read on node {self.node} "
                                                  f"({type(exc).__name__}: {exc})"))
            finally:
                if photo.data is not None:
                    self._drop(photo)
        todo = [i for i, p in enumerate(prepared) if p is not None]
        if todo:
            try:
                scores = self.engine.score_prepared([prepared[i] for i in todo])
                for i, s in zip(todo, scores, strict=True):
                    results[i] = RemoteResult(score=s)
            except Exception:  # noqa: BLE001 - narrow the failure to the photo that caused it
                for i in todo:
                    try:
                        results[i] = RemoteResult(score=self.engine.score_prepared([prepared[i]])[0])
                    except Exception as exc:  # noqa: BLE001 - that photo's error, the batch goes on
                        results[i] = RemoteResult(error=f"scoring failed ({type(exc).__name__}: {exc})")
        return (token, self.node, [r if r is not None else RemoteResult(error="not scored") for r in results],
                time.perf_counter() - t0)

    def _local_path(self, photo: RemotePhoto) -> str:
        if photo.data is None:
            return photo.path
        target = os.path.join(self._tmp, "photo" + Path(photo.path).suffix)  # decoders go by the extension
        with open(target, "wb") as f:
            f.write(photo.data)
        return target

    def _drop(self, photo: RemotePhoto) -> None:
        try:
            os.remove(os.path.join(self._tmp, "photo" + Path(photo.path).suffix))
        except OSError:
            pass


# -- the cluster ----------------------------------------------------------------------


@dataclass
class NodeRate:
    photos: int = 0
    seconds: float = 0.0  # actor-side wall time per batch, summed

    @property
    def rate(self) -> float:
        return self.photos / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ClusterStatus:
    """Live actors and photos/s per node, for the progress line."""

    actors: int = 0
    nodes: dict[str, NodeRate] = field(default_factory=dict)

    def describe(self) -> str:
        per_node = ", ".join(f"{n} {r.rate:.1f}/s" for n, r in sorted(self.nodes.items()))
        return f"{self.actors} actor(s)" + (f"; {per_node}" if per_node else "")


def connect(address: str) -> Any:
    """ray.init for `--ray auto|ADDRESS` ('local' starts a cluster in this process). One-line UserError if not."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    try:
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError...: the message is Ray's
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot reach the Ray cluster at {address!r}: {first} "
                        "(start it with `ray start --head`, or use --ray local)") from None
    return ray


def ship_files(config: EngineConfig) -> tuple[ShippedFile | None, ShippedFile | None]:
    """The model-config and weights files named by the config, read here to send to the actors."""
    out: list[ShippedFile | None] = []
    for value in (config.model, config.weights):
        p = Path(value) if value else None
        out.append(ShippedFile(p.name, p.read_bytes()) if p is not None and p.is_file() else None)
    return out[0], out[1]


def start_actors(ray: Any, config: EngineConfig, fingerprint: str, *, actors: int, cpus_per_actor: float,
                 gpus_per_actor: float, ship_weights: bool) -> tuple[list[Any], list[ActorInfo], list[Any]]:
    """The actor pool, each actor's engine loaded and checked: a node that cannot load the weights, or
    that computes another fingerprint, fails the run here with one line naming it and the fix.
    The third item is the shipped files' reference: hold it while the actors run."""
    remote_cls = ray.remote(ScoringActor)
    # Put once and passed as [reference]: the driver keeps it alive for the run, so that a restarted actor
    # can fetch the files again (Ray warns about large constructor arguments of restartable actors).
    shipped = [ray.put(ship_files(config))] if ship_weights else []
    # Named, so that `ray list actors` (and a test) can find them: curator-scorer-<driver pid>-<n>.
    handles = [remote_cls.options(name=f"{ACTOR_NAME_PREFIX}{os.getpid()}-{n}", num_cpus=cpus_per_actor,
                                  num_gpus=gpus_per_actor, max_restarts=ACTOR_RESTARTS,
                                  max_task_retries=TASK_RETRIES).remote(config, shipped,
                                                                        max(1, int(cpus_per_actor)))
               for n in range(actors)]
    infos: list[ActorInfo] = []
    for answer in ray.get([h.ready.remote() for h in handles]):
        if isinstance(answer, str):
            fix = ("copy the weights to the same path on that node, or scan with --ray-ship-weights"
                   if not ship_weights else "check that the model files load locally")
            raise UserError(f"{answer}; {fix}")
        if answer.fingerprint != fingerprint:
            raise UserError(f"node {answer.node} computes another engine fingerprint than this machine "
                            "(different curator, open_clip or weights); install the same versions there")
        infos.append(answer)
    return handles, infos, shipped


def default_actors(ray: Any, cpus_per_actor: float, gpus_per_actor: float) -> int:
    """One actor per GPU when the cluster has GPUs, else one per cpus_per_actor CPUs."""
    res = ray.cluster_resources()
    if gpus_per_actor and res.get("GPU"):
        return max(1, int(res["GPU"] / gpus_per_actor))
    return max(1, int(res.get("CPU", 1) / max(cpus_per_actor, 1e-9)))


# -- the driver's worker ----------------------------------------------------------------


class RayWorker(Worker):
    """The local Worker's loop and recording, with each batch scored by one of the actors.

    Inspection happens here (a thread pool, as locally). Each actor has up to PER_ACTOR batches in
    flight (Ray queues the second behind the first, so an actor never waits for the driver); each
    finished batch is recorded by Worker._finish_batch. A batch whose actor died for good (its
    restarts spent) goes to another actor; with none left the run stops and the rest stays queued.
    """

    PER_ACTOR = 2

    def __init__(self, catalog: Any, engine: _ShippingEngine, actors: Sequence[Any], options: WorkerOptions, *,
                 on_cluster: Callable[[ClusterStatus], None] | None = None, **wiring: Any) -> None:
        # a duck-typed engine: the driver needs only its fingerprint and prepare_path
        super().__init__(catalog, engine, options, **wiring)  # type: ignore[arg-type]  # duck-typed, as above
        import ray

        self._ray = ray
        self._actors = list(actors)
        self._load = [0] * len(self._actors)  # batches in flight per actor
        self._dead: set[int] = set()
        self._calls: dict[Any, tuple[int, list[Inspection], float, list[RemotePhoto]]] = {}  # ref -> its batch
        self._retry: list[tuple[list[Inspection], float, list[RemotePhoto]]] = []
        self.cluster = ClusterStatus(actors=len(self._actors))
        self.on_cluster = on_cluster

    def score(self, inspections: Sequence[Inspection], *, provisional: bool = False) -> list[Outcome]:
        """Outcomes from the actors' results (an Inspection's `prepared` holds its RemoteResult by now)."""
        outcomes = []
        for i in inspections:
            expected = i.item.stat
            result = i.prepared
            if i.kind == "measure":  # quality values for a scored photo: its stored score stays
                if result.error is not None:  # a failure leaves the photo as it was
                    outcomes.append(Outcome(i.item.photo_id, "unchanged", expected, stat=i.stat,
                                            content_hash=i.content_hash, partners=i.partners))
                else:
                    outcomes.append(Outcome(i.item.photo_id, "measured", expected, stat=i.stat,
                                            content_hash=i.content_hash, score=ScoreRecord.from_result(result.score),
                                            partners=i.partners))
            elif i.kind != "score":
                outcomes.append(Outcome(i.item.photo_id, i.kind, expected, stat=i.stat,
                                        content_hash=i.content_hash, exif=i.exif, error=i.error,
                                        twin_id=i.twin_id, path=i.item.path, partners=i.partners,
                                        primary=i.primary, primary_stat=i.primary_stat))
            elif result.error is not None:
                outcomes.append(Outcome(i.item.photo_id, "error", expected, stat=i.stat,
                                        content_hash=i.content_hash, error=result.error, path=i.item.path))
            else:
                outcomes.append(Outcome(i.item.photo_id, "scored", expected, stat=i.stat,
                                        content_hash=i.content_hash, exif=i.exif,
                                        score=ScoreRecord.from_result(result.score),
                                        twin_id=i.twin_id, partners=i.partners))
        return outcomes

    def _free_actor(self) -> int | None:
        live = [n for n in range(len(self._actors)) if n not in self._dead and self._load[n] < self.PER_ACTOR]
        return min(live, key=lambda n: self._load[n]) if live else None

    def _send(self, actor: int, inspections: list[Inspection], t0: float, photos: list[RemotePhoto]) -> None:
        ref = self._actors[actor].score.remote(0, photos)
        self._load[actor] += 1
        self._calls[ref] = (actor, inspections, t0, photos)

    def _step(self, pool: ThreadPoolExecutor, stop: threading.Event, until_idle: bool) -> bool:
        """One turn: top up the inspections, hand a batch to a free actor, record one finished batch, or wait."""
        inflight = self._inflight
        lookahead = 2 * self.batch_size
        now = time.monotonic()
        if len(inflight) < lookahead and now >= self._next_poll:
            at_actors = [i.item.photo_id for _, batch, _, _ in self._calls.values() for i in batch]
            at_actors += [i.item.photo_id for batch, _, _ in self._retry for i in batch]
            ready, self._wait = self.select_ready(lookahead - len(inflight),
                                                  [item.photo_id for item, _, _ in inflight] + at_actors)
            for item in ready:
                inflight.append((item, pool.submit(inspect_photo, item, self.engine, self.catalog, self.reasons_only),
                                 "exact"))  # the actors score exactly: no triage on a cluster
            self._next_poll = now if ready else now + min(self._wait, self.poll_interval)
        if stop.is_set():
            return False  # park: what the actors hold is never recorded and stays pending for the next run
        actor = self._free_actor()
        if actor is not None and self._retry:
            self._send(actor, *self._retry.pop())
            return True
        if actor is not None and inflight:
            t0 = time.monotonic()
            batch = [inflight.popleft() for _ in range(min(self.batch_size, len(inflight)))]
            inspections = [inspection_result(item, fut) for item, fut, _ in batch]
            photos = [i.prepared for i in inspections if i.kind in _FOR_MODEL]
            if photos:
                self._send(actor, inspections, t0, photos)
            else:  # unchanged, moved, partner or failed here: nothing for the model
                self._finish_batch(inspections, t0)
            return True
        if self._calls:
            done, _ = self._ray.wait(list(self._calls), num_returns=1, timeout=self.poll_interval)
            if done:
                self._collect(done[0])
            return True
        if not inflight:
            return self._idle(until_idle)
        return True

    def _collect(self, ref: Any) -> None:
        actor, inspections, t0, photos = self._calls.pop(ref)
        self._load[actor] -= 1
        try:
            _, node, results, seconds = self._ray.get(ref)
        except self._ray.exceptions.RayActorError as exc:  # restarts spent: this actor is gone for good
            self._dead.add(actor)
            self.cluster.actors = len(self._actors) - len(self._dead)
            if len(self._dead) == len(self._actors):
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise UserError(f"every scoring actor died ({first}); the photos not yet scored stay queued "
                                "for the next scan") from None
            self._retry.append((inspections, t0, photos))
            return
        for i, r in zip([i for i in inspections if i.kind in _FOR_MODEL], results, strict=True):
            i.prepared = r
        rate = self.cluster.nodes.setdefault(node, NodeRate())
        rate.photos += len(results)
        rate.seconds += seconds
        self._finish_batch(inspections, t0)
        if self.on_cluster:
            self.on_cluster(self.cluster)


# -- the entry point of `scan --ray` ------------------------------------------------------


@dataclass(frozen=True)
class RayOptions:
    address: str = "auto"  # "auto" (a cluster started with `ray start` on this machine), "local", or host:port
    actors: int = 0  # 0: one per GPU, else one per cpus_per_actor CPUs of the cluster
    cpus_per_actor: float = 1.0
    gpus_per_actor: float | None = None  # None: 1 when the cluster has GPUs, else 0
    ship_bytes: bool = False  # the driver reads each photo and sends its bytes (workers need no mount)
    ship_weights: bool = False  # the driver sends the model-config and weights files too
    on_cluster: Callable[[ClusterStatus], None] | None = None  # live actors and photos/s per node


def run_on_ray(options: RayOptions, catalog: Any, engine: Engine, stop: threading.Event,
               worker_options: WorkerOptions, *, rules: CullingRules,
               scope: Sequence[str] | None, on_batch: Callable[[Any], None] | None, reasons_only: bool) -> Any:
    """Score the scan's queue on the cluster; the Totals, as Worker.run returns them."""
    ray = connect(options.address)
    gpus = options.gpus_per_actor
    if gpus is None:
        gpus = 1.0 if ray.cluster_resources().get("GPU") else 0.0
    actors = options.actors or default_actors(ray, options.cpus_per_actor, gpus)
    # The actors' own config: the driver's, with the device left to each node (its GPU when it has one).
    config = dataclasses.replace(engine.config, device="auto") if gpus else engine.config
    handles, _infos, _shipped = start_actors(ray, config, engine.fingerprint, actors=actors,
                                   cpus_per_actor=options.cpus_per_actor, gpus_per_actor=gpus,
                                   ship_weights=options.ship_weights)
    try:
        shipping = _ShippingEngine(engine.fingerprint, engine.config, options.ship_bytes)
        worker = RayWorker(catalog, shipping, handles, worker_options, on_cluster=options.on_cluster,
                           rules=rules, scope=scope, on_batch=on_batch, reasons_only=reasons_only)
        return worker.run(stop, until_idle=True)
    finally:
        for h in handles:
            ray.kill(h)


# -- command-line options -----------------------------------------------------------------


def add_ray_options(parser: Any) -> None:
    g = parser.add_argument_group("Ray cluster (pip install \".[ray]\")")
    g.add_argument("--ray", nargs="?", const="auto", metavar="auto|local|ADDRESS",
                   help="decode and score on a Ray cluster: auto (the cluster `ray start` runs here), local "
                        "(a one-machine cluster for this scan) or HOST:PORT; the catalog stays here")
    g.add_argument("--ray-actors", type=int, metavar="N", dest="ray_actors",
                   help="scoring actors (default: one per GPU, else one per CPU of the cluster)")
    g.add_argument("--ray-cpus", type=int, metavar="N", dest="ray_cpus",
                   help="CPUs (and torch threads) per actor (default 1)")
    g.add_argument("--ray-ship-bytes", action="store_true",
                   help="read each photo here and send its bytes (for workers that do not mount the library)")
    g.add_argument("--ray-ship-weights", action="store_true",
                   help="send the --model config and --weights files to the workers")


def options_from(settings: Any, args: Any, on_cluster: Callable[[ClusterStatus], None] | None = None
                 ) -> RayOptions | None:
    """The RayOptions of a command line and settings, or None to score here. Checks Ray is installed."""
    ship_bytes = bool(getattr(args, "ray_ship_bytes", False))
    ship_weights = bool(getattr(args, "ray_ship_weights", False))
    if not settings.ray:
        if ship_bytes or ship_weights:
            raise UserError("--ray-ship-bytes and --ray-ship-weights need --ray (or [scale] ray in the settings)")
        return None
    import_ray()
    cpus = getattr(args, "ray_cpus", None)
    cpus = 1 if cpus is None else cpus
    if cpus < 1 or settings.ray_actors < 0:
        raise UserError("--ray-cpus must be at least 1, and --ray-actors at least 0 (0: automatic)")
    return RayOptions(address=settings.ray, actors=settings.ray_actors, cpus_per_actor=float(cpus),
                      ship_bytes=ship_bytes,
                      ship_weights=ship_weights, on_cluster=on_cluster)
