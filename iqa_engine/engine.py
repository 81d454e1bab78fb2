"""The scoring engine: photos in, PhotoScore out, batched across photos.

Text features are computed once per engine. Decoding and view building run in
a small thread pool a few photos ahead of the model (as rclip's indexer does),
and the views of several photos share each forward pass, up to
config.batch_views views.

Beside the score, unless config.reasons is off, each photo gets its quality
dimensions (cues.dimension_values on the same view features, so at almost no
extra cost) and its classic measurements (measures.measure, on the image the
views were cut from, in the decode threads).

Methods: "maclip" (the default) scores the protocol's views with MA-CLIP's
fused cues; "qualiclip" scores the whole photo (capped at max_long_side, like
the koniq protocol) as QualiCLIP does (see qualiclip.py).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from . import views as V
from .backbone import Backbone, load_backbone, pick_device
from .backends import attach_backend
from .config import EngineConfig, clip_fingerprint, dimensions_fingerprint, fingerprint
from .device_decode import choose_decoder, decode_on_device
from .cues import Cues, compute_cues, dimension_values
from .decode import DecodedPhoto, decode_photo
from .device_path import device_views, on_device, pinned
from .errors import EngineError, ImageDecodeError
from .hardware import fast_precision
from .measures import MEASURES_VERSION, Measures, measure
from .perceptual import difference_hash
from .qualiclip import qualiclip_cues
from .results import PhotoEmbedding, PhotoScore, ViewScore

PathLike = str | os.PathLike[str]
# Decoded photos held at most, ahead of the model (each is a few MB of float tensor).
_MAX_LOOKAHEAD = 32
_TEXT_CHUNK = 256  # prompts per text-encoder pass


@dataclass(frozen=True)
class Prepared:
    """A decoded photo cut into its views, ready for the model (the output of the threaded stage)."""

    photo: V.PreparedPhoto
    original_size: tuple[int, int]
    source: str
    decode_ms: float
    measures: Measures | None = None
    measure_ms: float = 0.0
    standard_view: torch.Tensor | None = None  # open_clip's preprocessing of the photo, for clip_embedding
    perceptual_hash: int | None = None


class Engine:
    """MA-CLIP (or QualiCLIP) on one open_clip backbone. Not thread-safe: one scoring thread per engine."""

    def __init__(self, config: EngineConfig | None = None, *, allow_download: bool = True,
                 backbone: Backbone | None = None) -> None:
        config = config or EngineConfig()
        if config.precision == "auto":
            config = config.replace(precision=fast_precision(pick_device(config.device).type))
        self.config = config
        self.backbone = backbone or load_backbone(self.config, allow_download=allow_download)
        self._qualiclip = config.method == "qualiclip"
        if self._qualiclip:
            self._text_features = self._stored_text_features()
        else:
            prompts = [text for pair in self.config.prompt_pairs for text in pair]
            self._text_features = self.backbone.text_features(prompts)
        self._logit_scale = self.backbone.logit_scale()
        # who decodes JPEGs: resolved before the fingerprint, which names a device decoder
        self.decoder = choose_decoder(config.decoder, self.backbone.device,
                                      "global" if self._qualiclip else config.protocol, config.max_long_side,
                                      config.decode_workers)
        self.config = config = config.replace(decoder=self.decoder.name)
        info = self.backbone.info
        self.fingerprint = fingerprint(self.config, info.identity, info.fingerprint_activation)
        self.clip_fingerprint = clip_fingerprint(info.identity, self.backbone.preprocess_cfg, info.fingerprint_activation)
        if self.config.trunk == "shared" and not self.backbone.is_resnet and not self._qualiclip:
            raise EngineError(f"the shared trunk (--trunk shared, --fast) needs a ResNet backbone; "
                              f"{self.model_name} is not one (use --trunk windows)")
        # the views' protocol: QualiCLIP's single view is the whole photo, sized as "global" sizes it
        self._view_protocol = "global" if self._qualiclip else config.protocol
        dims = config.dimensions if config.reasons else ()
        self.dimension_names = tuple(d.name for d in dims)
        self._pair_counts = tuple(len(d.pairs) for d in dims)
        self._dimension_text = (self.backbone.text_features([t for d in dims for t in d.prompts]) if dims
                                else None)
        self.dimensions_fingerprint = (dimensions_fingerprint(config, info.identity, info.fingerprint_activation,
                                                              MEASURES_VERSION) if config.reasons else None)
        # Who runs the image tower (PyTorch, OpenVINO, ONNX Runtime); same score, so not in the fingerprint.
        self.backend = attach_backend(self.backbone, self.config, self._text_features, self._logit_scale)

    def _stored_text_features(self) -> torch.Tensor:
        stored = self.backbone.stored_text_features
        if stored is None:
            raise EngineError("--method qualiclip needs QualiCLIP's checkpoint (pass it as --weights "
                              "qualiclip.pth): it scores against the text features stored there")
        if not self.backbone.is_resnet:
            raise EngineError(f"--method qualiclip needs a ResNet backbone (RN50); {self.model_name} is not one")
        width = self.backbone.model.text_projection.shape[-1]
        if stored.shape[1] != width:
            raise EngineError(f"the checkpoint's prompts_features have {stored.shape[1]} dimensions but model "
                              f"{self.model_name} has {width}; pass the matching --model")
        return stored

    @property
    def model_name(self) -> str:
        return self.backbone.info.model

    # -- preparing ---------------------------------------------------------

    def prepare_image(self, image: Image.Image, original_size: tuple[int, int] | None = None,
                      source: str = "image", decode_ms: float = 0.0) -> Prepared:
        """Stage 2: an upright RGB image -> the protocol's views (thread-safe)."""
        size = original_size or image.size
        rgb = image.convert("RGB") if image.mode != "RGB" else image
        resized = V.resize_for_protocol(rgb, size, self._view_protocol, self.config.max_long_side)
        photo = pinned(V.prepare_resized(resized, self._view_protocol), self.backbone.device)
        standard = self.backbone.preprocess(rgb) if self.config.clip_embedding else None
        phash = difference_hash(rgb)
        if not self.config.reasons:
            return Prepared(photo, size, source, decode_ms, standard_view=standard, perceptual_hash=phash)
        t0 = time.perf_counter()
        measures = measure(np.asarray(self._measured_image(rgb, resized, size)))
        return Prepared(photo, size, source, decode_ms, measures, (time.perf_counter() - t0) * 1000.0,
                        standard_view=standard, perceptual_hash=phash)

    def _measured_image(self, rgb: Image.Image, resized: Image.Image, size: tuple[int, int]) -> Image.Image:
        """The image the classic measurements are taken on: the views' own, unless spaq squashed it."""
        if self._view_protocol != "spaq":
            return resized
        return V.resize_for_protocol(rgb, size, "koniq", self.config.max_long_side)

    def decode(self, path: PathLike) -> DecodedPhoto:
        """Stage 1: a file -> an upright RGB image, draft-decoded when the protocol allows (thread-safe)."""
        if self.decoder.name == "device":
            return decode_on_device(path, self.backbone.device, self._view_protocol, self.config.max_long_side)
        long_side, min_side = V.draft_hint(self._view_protocol, self.config.max_long_side)
        if not self.config.jpeg_draft:
            long_side = min_side = None
        return decode_photo(path, long_side, min_side)

    def prepare_path(self, path: PathLike) -> Prepared:
        """Stages 1 and 2 for one file; raises ImageDecodeError (thread-safe)."""
        t0 = time.perf_counter()
        decoded = self.decode(path)
        prepared = self.prepare_image(decoded.image, decoded.original_size, decoded.source)
        return dataclasses.replace(prepared, decode_ms=(time.perf_counter() - t0) * 1000.0)

    # -- scoring -----------------------------------------------------------

    def score_image(self, image: Image.Image) -> PhotoScore:
        """Score an in-memory RGB image (EXIF orientation is the caller's business)."""
        return self.score_prepared([self.prepare_image(image)])[0]

    def score_images(self, images: Sequence[Image.Image]) -> list[PhotoScore]:
        return self.score_prepared([self.prepare_image(im) for im in images])

    def score_path(self, path: PathLike) -> PhotoScore:
        """Score one file; raises ImageDecodeError with a one-line reason."""
        return self.score_prepared([self.prepare_path(path)])[0]

    def score_paths(self, paths: Iterable[PathLike],
                    on_decoded: Callable[[PathLike], None] | None = None, *,
                    on_pass: Callable[[Sequence[Prepared], float], None] | None = None
                    ) -> Generator[tuple[PathLike, PhotoScore | ImageDecodeError], None, None]:
        """Score files, yielding results in input order; a bad file yields its error, never raises.

        Decoding runs ahead in a thread pool, far enough to fill the next
        forward pass while the model runs this one: on a CPU a full pass of
        many photos beats several small ones. on_pass(photos, seconds) hears of
        each forward pass and how long the model took (`curator bench speed`).
        """
        workers = self.config.decode_workers
        per_pass = max(1, self.config.batch_views // self._n_views_hint())
        lookahead = min(max(2 * workers, per_pass + workers), _MAX_LOOKAHEAD)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
            pending: deque[tuple[PathLike, Future[Prepared]]] = deque()
            source = iter(paths)
            exhausted = False

            def refill() -> None:
                nonlocal exhausted
                while not exhausted and len(pending) < lookahead:
                    try:
                        p = next(source)
                    except StopIteration:
                        exhausted = True
                        return
                    pending.append((p, pool.submit(self.prepare_path, p)))

            refill()
            while pending:
                # One forward pass: whole photos, in order, up to batch_views views.
                group: list[tuple[PathLike, Prepared | ImageDecodeError]] = []
                views = 0
                while pending and len(group) < _MAX_LOOKAHEAD and (
                        views == 0 or views + self._n_views_hint() <= self.config.batch_views):
                    p, fut = pending.popleft()
                    try:
                        prepared: Prepared | ImageDecodeError = fut.result()
                    except ImageDecodeError as exc:
                        prepared = exc
                    except Exception as exc:  # noqa: BLE001 - anything else about one file stays with that file
                        prepared = ImageDecodeError(f"could not be read ({type(exc).__name__}: {exc})"[:200])
                    if isinstance(prepared, Prepared):
                        if on_decoded:
                            on_decoded(p)
                        views += self._n_views_hint() if self._qualiclip else prepared.photo.n_views
                    group.append((p, prepared))
                    refill()
                ready = [prep for _, prep in group if isinstance(prep, Prepared)]
                scores = iter(self._score_pass(ready, on_pass) if ready else [])
                for p, prep in group:
                    yield p, (prep if isinstance(prep, ImageDecodeError) else next(scores))

    def _score_pass(self, prepared: Sequence[Prepared],
                    on_pass: Callable[[Sequence[Prepared], float], None] | None) -> list[PhotoScore]:
        if on_pass is None:
            return self.score_prepared(prepared)
        t = time.perf_counter()
        scores = self.score_prepared(prepared)
        on_pass(prepared, time.perf_counter() - t)
        return scores

    def embed_paths(self, paths: Iterable[PathLike], batch: int = 32
                    ) -> Iterator[tuple[PathLike, PhotoEmbedding | ImageDecodeError]]:
        """The standard CLIP embedding of each file, without scoring it (photos scored before
        embeddings existed; a labelled set for `bench tags`). Files are decoded exactly as the
        scoring pass decodes them, so both give the same embedding. Input order; a bad file
        yields its error."""

        def prepare(path: PathLike) -> tuple[torch.Tensor, int, tuple[int, int]] | ImageDecodeError:
            try:
                decoded = self.decode(path)
            except ImageDecodeError as exc:
                return exc
            except Exception as exc:  # noqa: BLE001 - anything else about one file stays with that file
                return ImageDecodeError(f"could not be read ({type(exc).__name__}: {exc})"[:200])
            image = decoded.image
            return self.backbone.preprocess(image), difference_hash(image), decoded.original_size

        source = iter(paths)
        with ThreadPoolExecutor(max_workers=self.config.decode_workers, thread_name_prefix="decode") as pool:
            while chunk := [p for _, p in zip(range(batch), source, strict=False)]:
                ready = list(pool.map(prepare, chunk))
                good = [r for r in ready if not isinstance(r, ImageDecodeError)]
                unit = iter(_unit(self.backbone.standard_features(torch.stack([r[0] for r in good])))
                            if good else [])
                for p, r in zip(chunk, ready, strict=True):
                    yield p, (r if isinstance(r, ImageDecodeError)
                              else PhotoEmbedding(next(unit), self.clip_fingerprint, r[1], r[2]))

    def _n_views_hint(self) -> int:
        if self._qualiclip:  # one view, but a 1024x768 photo holds as many pixels as 16 windows
            return 16
        return {"koniq": 36, "spaq": 5, "global": 1}[self._view_protocol]

    def score_prepared(self, prepared: Sequence[Prepared]) -> list[PhotoScore]:
        """Stage 3: the model and the cues for a batch of prepared photos (one thread at a time)."""
        t0 = time.perf_counter()
        feats, standard = self._forward(prepared)
        cues = self._cues(feats)
        forward_ms = (time.perf_counter() - t0) * 1000.0
        t1 = time.perf_counter()
        dims = self._dimensions(feats)
        dims_ms = (time.perf_counter() - t1) * 1000.0 if self.dimension_names else 0.0
        cfg = self.config
        total_views = sum(p.photo.n_views for p in prepared)
        cols = [c.cpu().numpy().astype(np.float64) for c in
                (cues.fused, cues.cosine, cues.magnitude, cues.w_cosine, cues.w_magnitude)]
        names = self.dimension_names
        out: list[PhotoScore] = []
        start = 0
        for index, prep in enumerate(prepared):
            n = prep.photo.n_views
            sl = slice(start, start + n)
            boxes: list = list(prep.photo.boxes) + [None]
            view_dims = [dict(zip(names, (float(v) for v in dims[start + i]), strict=True)) for i in range(n)]
            view_scores = tuple(
                ViewScore(box=boxes[i], fused=float(cols[0][start + i]), cosine=float(cols[1][start + i]),
                          magnitude=float(cols[2][start + i]), w_cosine=float(cols[3][start + i]),
                          w_magnitude=float(cols[4][start + i]), dimensions=view_dims[i])
                for i in range(n))
            fused, cos, mag, wc, wm = (float(c[sl].mean()) for c in cols)
            photo_dims = dict(zip(names, (float(v) for v in dims[sl].mean(axis=0)), strict=True)) if names else {}
            glob = feats[start + n - 1]
            embedding = (glob / glob.norm()).cpu().numpy().astype(np.float32)
            score = {"fused": fused, "cosine": cos, "magnitude": mag}[cfg.mode]
            out.append(PhotoScore(
                score=score, fused=fused, cosine=cos, magnitude=mag, w_cosine=wc, w_magnitude=wm,
                mode=cfg.mode, protocol=cfg.protocol, model=self.model_name, fingerprint=self.fingerprint,
                views=view_scores, scored_size=prep.photo.size, original_size=prep.original_size,
                embedding=embedding, decode_source=prep.source,
                elapsed_ms=prep.decode_ms + (forward_ms + dims_ms) * n / total_views,
                method=cfg.method, dimensions=photo_dims, dimensions_fingerprint=self.dimensions_fingerprint,
                measures=prep.measures, reasons_ms=prep.measure_ms + dims_ms * n / total_views,
                clip_embedding=standard.get(index), clip_fingerprint=self.clip_fingerprint if standard else None,
                perceptual_hash=prep.perceptual_hash))
            start += n
        return out

    def _cues(self, feats: torch.Tensor) -> Cues:
        cfg = self.config
        if self._qualiclip:
            return qualiclip_cues(feats, self._text_features, cfg.box_cox_lambda)
        return compute_cues(feats, self._text_features, self._logit_scale, cfg.box_cox_lambda,
                            cfg.base_cosine, cfg.base_magnitude, cfg.alpha)

    def _dimensions(self, feats: torch.Tensor) -> np.ndarray:
        """(V, n_dimensions) float64; (V, 0) without reasons."""
        if self._dimension_text is None:
            return np.zeros((feats.shape[0], 0))
        values = dimension_values(feats, self._dimension_text, self._logit_scale, self._pair_counts)
        return values.cpu().numpy().astype(np.float64)

    def _standard_embeddings(self, prepared: Sequence[Prepared]) -> dict[int, np.ndarray]:
        """{index in prepared: L2-normalised float32 standard CLIP embedding}, in a pass of their own."""
        views = {i: p.standard_view for i, p in enumerate(prepared) if p.standard_view is not None}
        if not views:
            return {}
        return dict(zip(views, _unit(self.backbone.standard_features(torch.stack(list(views.values())))), strict=True))

    def encode_query(self, text: str) -> np.ndarray:
        """(D,) one search text, L2-normalised, encoded on one CPU thread.

        A single prompt is too small a pass to share between threads: on a CPU that is busy
        (a scan running beside the gallery), the threads' barriers made it 4 to 10 times slower
        than one thread in bench/search.py."""
        if self.backbone.device.type != "cpu":
            return self.encode_texts([text])[0]
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self.encode_texts([text])[0]
        finally:
            torch.set_num_threads(threads)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), D) L2-normalised float32 text embeddings, in the standard embeddings' space."""
        texts = list(texts)
        # chunks: a vocabulary of a few thousand prompts at once would need GBs of attention maps
        feats = torch.cat([self.backbone.search_text_features(texts[i:i + _TEXT_CHUNK])
                           for i in range(0, len(texts), _TEXT_CHUNK)])
        return torch.nn.functional.normalize(feats, dim=-1).cpu().numpy().astype(np.float32)

    def _forward(self, prepared: Sequence[Prepared]) -> tuple[torch.Tensor, dict[int, np.ndarray]]:
        """(unnormalised MA-CLIP features of every view of every photo, in order;
        {index in prepared: standard CLIP embedding}).

        The standard views ride in the MA-CLIP views' forward passes when they have the same size:
        the ResNet trunk runs once over both, and only the attention pools differ (a pass of their
        own would cost a small batch's overhead on top of one more view per photo)."""
        standard = {i: p.standard_view for i, p in enumerate(prepared) if p.standard_view is not None}
        if self._qualiclip:  # the whole photo at its own size: no 224-px windows for the embedding to ride with
            return torch.cat([self.backbone.whole_image_features(p.photo.tensor) for p in prepared]), \
                self._standard_embeddings(prepared)
        if self.config.trunk == "shared" and self.config.protocol != "global":
            return torch.cat([self._shared_trunk_features(p.photo) for p in prepared]), \
                self._standard_embeddings(prepared)
        views = device_views([p.photo for p in prepared], self.backbone.device)  # cut on the GPU when there is one
        # the standard views ride in the same passes only on PyTorch: another runtime's graph has no
        # separate trunk to share (the standard embedding then takes a PyTorch pass of its own)
        riding = (self.backbone.tower is None and bool(standard)
                  and all(v.shape[-2:] == (V.VIEW, V.VIEW) for v in standard.values()))
        if not riding:
            return self._batched(views, 0)[0], self._standard_embeddings(prepared)
        n_plain = views.shape[0]
        riders = torch.stack(list(standard.values())).to(views.device)
        plain, std = self._batched(torch.cat([views, riders]), n_plain)
        return plain, dict(zip(standard, _unit(std), strict=True))

    def _batched(self, views: torch.Tensor, n_plain: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Views in passes of batch_views: the first n_plain pooled as MA-CLIP does (unless n_plain
        is 0: all of them), the rest as the standard embedding."""
        n_plain = n_plain or views.shape[0]
        step = self.config.batch_views
        plain, std = [], []
        for i in range(0, views.shape[0], step):
            a, b = self.backbone.mixed_features(views[i:i + step], max(0, min(step, n_plain - i)))
            plain.append(a)
            std.append(b)
        return _cat(plain), _cat(std)

    def _shared_trunk_features(self, photo: V.PreparedPhoto) -> torch.Tensor:
        """The fast approximation: one trunk pass over the photo, then each window's 7x7 cells pooled.

        Window (x, y) of the exact protocol maps to cells (x/32, y/32) of the
        stride-32 feature map; the stride of 128 px is 4 cells. Cells near a
        window's border see context from outside the window, which is why this
        is not the paper's computation (see docs/performance.md).
        """
        bb = self.backbone
        cell = V.VIEW // 7  # 32
        photo = on_device(photo, bb.device)
        with torch.inference_mode(), bb.autocast():
            grid = bb.trunk(photo.tensor.unsqueeze(0))
            crops = [grid[:, :, y0 // cell:y0 // cell + 7, x0 // cell:x0 // cell + 7]
                     for (x0, y0, _, _) in photo.boxes]
            pooled = bb.attention_pool(torch.cat(crops)) if crops else grid.new_zeros((0, 0))
        glob = bb.image_features(V.global_view(photo.tensor).unsqueeze(0))
        return torch.cat([pooled.float(), glob]) if crops else glob


def _cat(parts: list[torch.Tensor]) -> torch.Tensor:
    """torch.cat of the non-empty parts (a pass with no view of one kind gives an empty (0, 0) part)."""
    full = [p for p in parts if p.numel()]
    return torch.cat(full) if full else parts[0]


def _unit(feats: torch.Tensor) -> np.ndarray:
    """Rows L2-normalised, as float32 numpy."""
    return torch.nn.functional.normalize(feats.float(), dim=-1).cpu().numpy().astype(np.float32)
