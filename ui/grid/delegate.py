"""Paints one grid tile: thumbnail, score badge, low-quality marker, flag, rating, name, and the marks of
a collapsed burst (stacked edges, a "×5" count, "±EV" for a bracket) and of a RAW+JPEG pair ("RAW+JPG").

Every mark is drawn with painter paths (no icon fonts), so a tile looks the
same on any machine, including the offscreen platform used for screenshots.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from curator.actions.culling import is_weak
from curator.rules.labels import LABELS
from curator.display import shown
from ui import theme
from ui.grid.gallery_model import BURST_REJECTS_ROLE, BURST_ROLE, PAIR_ROLE, RANK_ROLE, ROW_ROLE, SCORE_TEXT_ROLE
from ui.rules.tiling import BurstTile

if TYPE_CHECKING:
    from curator.catalog import GalleryRow
    from ui.grid.thumbnails import ThumbnailLoader

TILE = QSize(208, 232)  # grid cell, including the gap between tiles
_GAP = 4
_INFO_H = 44  # the strip under the thumbnail: name, stars, flag
_OVERLAY = QColor(0x16, 0x16, 0x16, 215)  # badges drawn over the picture
_PILL_TEXT = QColor(255, 255, 255)  # a pill's text unless told otherwise
_BRACKET = QColor(0x3f, 0x8f, 0xa8)  # the bracket marker
_LABEL_COLOURS = dict(zip(LABELS, (  # the catalog's colour labels, in its order and spelling
    QColor(0xd9, 0x4a, 0x4a), QColor(0xe0, 0xc0, 0x3a), QColor(0x4c, 0xaf, 0x50), QColor(0x4a, 0x8a, 0xd9),
    QColor(0x9b, 0x5f, 0xc9),
), strict=True))


@functools.lru_cache(maxsize=8)
def _star_at_origin(r: float) -> QPainterPath:
    """A five-pointed star of outer radius r around (0, 0); built once per size (tiles use one or two)."""
    pts = []
    for i in range(10):
        rad = r if i % 2 == 0 else r * 0.45
        a = -math.pi / 2 + i * math.pi / 5
        pts.append(QPointF(rad * math.cos(a), rad * math.sin(a)))
    path = QPainterPath()
    path.addPolygon(QPolygonF(pts))
    path.closeSubpath()
    return path


def star_path(cx: float, cy: float, r: float) -> QPainterPath:
    return _star_at_origin(r).translated(cx, cy)


def draw_stars(p: QPainter, x: float, cy: float, rating: int, r: float = 5.0, gap: float = 3.0) -> None:
    """Lightroom's way: a star per rating point, a small dot for each one not given."""
    p.setPen(Qt.PenStyle.NoPen)
    for i in range(5):
        cx = x + r + i * (2 * r + gap)
        if i < rating:
            p.setBrush(theme.STAR)
            p.drawPath(star_path(cx, cy, r))
        else:
            p.setBrush(theme.STAR_EMPTY)
            p.drawEllipse(QPointF(cx, cy), 1.6, 1.6)


def draw_flag(p: QPainter, rect: QRectF, flag: str | None, source: str | None) -> None:
    """A pick (white flag) or a reject (red flag with a cross); an auto flag is drawn hollow."""
    if flag not in ("pick", "reject"):
        return
    colour = theme.PICK if flag == "pick" else theme.REJECT
    pole_x = rect.left() + 2
    path = QPainterPath()
    path.moveTo(pole_x, rect.top() + 1)
    path.lineTo(rect.right(), rect.top() + 1 + rect.height() * 0.28)
    path.lineTo(pole_x, rect.top() + 1 + rect.height() * 0.56)
    path.closeSubpath()
    p.setPen(QPen(colour, 1.6))
    p.drawLine(QPointF(pole_x, rect.top()), QPointF(pole_x, rect.bottom()))
    if source == "auto":
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(colour, 1.4))
    else:
        p.setBrush(colour)
        p.setPen(Qt.PenStyle.NoPen)
    p.drawPath(path)
    if flag == "reject":
        cx, cy, s = rect.right() - 1, rect.bottom() - 3, 3.2
        pen = QPen(colour, 1.8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.drawLine(QPointF(cx - s, cy - s), QPointF(cx + s, cy + s))
        p.drawLine(QPointF(cx - s, cy + s), QPointF(cx + s, cy - s))


def taste_text(taste: float) -> str:
    """The taste badge: the probability that the user keeps the photo, in percent."""
    return f"keep {round(100 * taste):d}%"


def draw_pill(p: QPainter, x: float, y: float, text: str, fill: QColor, font: QFont,
              fg: QColor = _PILL_TEXT, outline: QColor | None = None, anchor_right: bool = False) -> QRectF:
    fm = QFontMetrics(font)
    w = fm.horizontalAdvance(text) + 10
    h = fm.height() + 2
    rect = QRectF(x - w if anchor_right else x, y, w, h)
    p.setPen(QPen(outline, 1) if outline is not None else Qt.PenStyle.NoPen)
    p.setBrush(fill)
    p.drawRoundedRect(rect, h / 2, h / 2)
    p.setFont(font)
    p.setPen(fg)
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    return rect


def draw_stack_edges(p: QPainter, picture: QRectF, layers: int = 2) -> None:
    """The edges of the frames behind a collapsed burst's top frame, up and to the right of it."""
    for i in range(layers, 0, -1):
        d = 3.0 * i
        edge = picture.translated(d, -d)
        p.setPen(QPen(QColor(0x1c, 0x1c, 0x1c), 1))
        p.setBrush(QColor(0x80 - 18 * i, 0x80 - 18 * i, 0x80 - 18 * i))
        p.drawRect(edge)


def draw_broken(p: QPainter, rect: QRect, title: str, reason: str | None, font: QFont) -> None:
    """The placeholder for a missing or unreadable file."""
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(0x2a, 0x2a, 0x2a))
    p.drawRect(rect)
    # a torn-photo glyph
    cx, cy = rect.center().x(), rect.center().y() - 12
    glyph = QRectF(cx - 20, cy - 15, 40, 30)
    p.setPen(QPen(theme.TEXT_FAINT, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(glyph, 3, 3)
    p.drawLine(QPointF(glyph.left() + 6, glyph.bottom() - 5), QPointF(glyph.left() + 16, glyph.top() + 12))
    p.drawLine(QPointF(glyph.left() + 16, glyph.top() + 12), QPointF(glyph.left() + 24, glyph.bottom() - 9))
    p.drawLine(QPointF(glyph.right() - 4, glyph.top() - 4), QPointF(glyph.left() + 4, glyph.bottom() + 4))
    p.setFont(font)
    p.setPen(theme.TEXT_DIM)
    text_rect = QRect(rect.left() + 6, int(glyph.bottom()) + 6, rect.width() - 12, rect.bottom() - int(glyph.bottom()) - 8)
    fm = QFontMetrics(font)
    lines = [title]
    if reason:
        lines.append(fm.elidedText(reason, Qt.TextElideMode.ElideRight, text_rect.width()))
    p.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "\n".join(lines))


class TileDelegate(QStyledItemDelegate):
    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.tile = QSize(TILE)
        self._name_font = QFont()
        self._name_font.setPixelSize(11)
        self._badge_font = QFont()
        self._badge_font.setPixelSize(11)
        self._badge_font.setBold(True)
        self._small_font = QFont()
        self._small_font.setPixelSize(10)
        self._small_bold = QFont(self._small_font)
        self._small_bold.setBold(True)
        self.show_taste = False  # the "Taste badge" toggle: each tile's taste value under its score

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(self.tile)

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        # Ask the (Python) model itself: no QVariant round trip (and QModelIndex.data() drops a reference to
        # None whenever the answer is None in PySide6 6.12.0, which pyproject.toml excludes).
        model = index.model()
        if model is None:
            return
        row = model.data(index, ROW_ROLE)
        if row is None:
            return
        rank = model.data(index, RANK_ROLE)
        score_text = model.data(index, SCORE_TEXT_ROLE)
        burst = model.data(index, BURST_ROLE)
        pair = model.data(index, PAIR_ROLE)
        rejects = model.data(index, BURST_REJECTS_ROLE) if burst is not None and burst.state == "collapsed" else 0
        p.save()
        try:
            self._paint_tile(p, option, row, rank, score_text, burst, pair, rejects or 0)
        finally:
            p.restore()

    def _paint_tile(self, p: QPainter, option: QStyleOptionViewItem, row: GalleryRow, rank: float | None,
                    score_text: str | None = None, burst: BurstTile | None = None, pair: str | None = None,
                    rejects: int = 0) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        tile = QRect(option.rect).adjusted(_GAP, _GAP, -_GAP, -_GAP)
        fill = theme.CELL_SELECTED if selected else theme.CELL_HOVER if hover else theme.CELL
        p.setPen(QPen(theme.ACCENT, 1.5) if selected else Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawRoundedRect(QRectF(tile).adjusted(0.75, 0.75, -0.75, -0.75), 3, 3)
        weak = is_weak(row)
        picture = self._paint_picture(p, row, tile.adjusted(9, 9, -9, -_INFO_H),
                                      stacked=burst is not None and burst.state == "collapsed", weak=weak)

        # over the picture's bottom corners: the shot's files (left) and its burst (right)
        foot = picture.bottom() - 4
        if pair:
            draw_pill(p, picture.left() + 4, _top_for(foot, self._small_bold), pair, _OVERLAY, self._small_bold,
                      fg=theme.TEXT)
        if burst is not None:
            self._paint_burst_mark(p, burst, picture.right() - 4, foot, rejects)

        # score badge (top left) and weak marker (top right)
        bx, by = tile.left() + 5, tile.top() + 5
        self._paint_score_badge(p, bx, by, row, rank, score_text, weak)
        self._paint_weak_marker(p, tile.right() - 5, by, row, weak)
        if self.show_taste and row.taste is not None:
            draw_pill(p, bx, by + QFontMetrics(self._badge_font).height() + 6, taste_text(row.taste), _OVERLAY,
                      self._small_bold, fg=theme.TEXT)

        self._paint_info_strip(p, tile, row, selected)

    def _paint_picture(self, p: QPainter, row: GalleryRow, thumb_box: QRect, *, stacked: bool, weak: bool) -> QRect:
        """The picture, or a placeholder; where it was drawn (the corner marks sit on it)."""
        if stacked:  # room for the frames behind it
            thumb_box = thumb_box.adjusted(0, 6, -6, 0)
        pixmap = self.loader.thumbnail(row)
        if row.status == "missing":
            if stacked:
                draw_stack_edges(p, QRectF(thumb_box))
            draw_broken(p, thumb_box, "File missing", None, self._small_font)
            return QRect(thumb_box)
        if pixmap is not None and not pixmap.isNull():
            return _draw_thumbnail(p, pixmap, thumb_box, stacked=stacked, rejected=row.flag == "reject", weak=weak)
        reason = self.loader.failure(row)
        if reason is not None:
            draw_broken(p, thumb_box, "Cannot show", reason, self._small_font)
            return QRect(thumb_box)
        return _draw_loading(p, thumb_box, stacked=stacked)

    def _paint_score_badge(self, p: QPainter, x: float, y: float, row: GalleryRow, rank: float | None,
                           score_text: str | None, weak: bool) -> None:
        if row.fused is not None and score_text is not None and row.provisional:
            # hollow: a provisional score (triage's quick pass), until the exact score lands
            colour = theme.rank_colour(rank, weak)
            draw_pill(p, x, y, score_text, _OVERLAY, self._badge_font, fg=colour, outline=colour)
        elif row.fused is not None and score_text is not None:
            draw_pill(p, x, y, score_text, theme.rank_colour(rank, weak), self._badge_font)
        elif row.status == "error":
            draw_pill(p, x, y, "error", QColor(0x7a, 0x24, 0x1e), self._badge_font)
        elif row.status == "pending":
            draw_pill(p, x, y, "queued", QColor(0x44, 0x44, 0x44), self._badge_font, fg=theme.TEXT_DIM)

    def _paint_weak_marker(self, p: QPainter, right: float, y: float, row: GalleryRow, weak: bool) -> None:
        if weak:
            # the first reason names what is wrong; a weak photo without one says only that it is weak
            word = row.reasons[0] if row.reasons else "WEAK"
            if row.verdict_provisional:  # hollow, like a provisional score: reached on quick first-pass scores
                draw_pill(p, right, y, word, _OVERLAY, self._small_bold, fg=theme.WEAK,
                          outline=theme.WEAK, anchor_right=True)
            else:
                draw_pill(p, right, y, word, theme.WEAK, self._small_bold, anchor_right=True)
        elif row.reasons:  # a reason on a photo the score policy keeps: said more quietly
            draw_pill(p, right, y, row.reasons[0], _OVERLAY, self._small_bold, fg=theme.TEXT,
                      outline=theme.WEAK, anchor_right=True)

    def _paint_info_strip(self, p: QPainter, tile: QRect, row: GalleryRow, selected: bool) -> None:
        """Name, stars, label, flag."""
        name_rect = QRect(tile.left() + 9, tile.bottom() - _INFO_H + 5, tile.width() - 18, 15)
        p.setFont(self._name_font)
        p.setPen(theme.TEXT if selected else theme.TEXT_DIM)
        fm = QFontMetrics(self._name_font)
        p.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(shown(row.name), Qt.TextElideMode.ElideMiddle, name_rect.width()))
        marks_y = tile.bottom() - 13
        draw_stars(p, tile.left() + 9, marks_y, int(row.rating or 0))
        label_colour = _LABEL_COLOURS.get(row.label) if row.label else None
        if label_colour is not None:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(label_colour)
            p.drawEllipse(QPointF(tile.right() - 36, marks_y), 4.5, 4.5)
        draw_flag(p, QRectF(tile.right() - 22, marks_y - 8, 12, 16), row.flag, row.flag_source)

    def _paint_burst_mark(self, p: QPainter, burst: BurstTile, right: float, bottom: float, rejects: int = 0) -> None:
        """"×5" on a collapsed burst (and "4 ✕" before it when four of its frames are rejected); "2/5" on each
        frame of an expanded one (filled, with "best", for its best); "±EV" before it for an exposure bracket."""
        dark = QColor(0x20, 0x20, 0x20)
        light = QColor(0xf0, 0xf0, 0xf0)
        if burst.state == "collapsed":
            font = self._badge_font
            rect = draw_pill(p, right, _top_for(bottom, font), f"×{burst.size}", light, font, fg=dark,
                             anchor_right=True)
            if rejects:
                rect = draw_pill(p, rect.left() - 4, _top_for(bottom, font), f"{rejects} ✕", theme.REJECT, font,
                                 anchor_right=True)
        elif burst.is_best:
            font = self._small_bold
            rect = draw_pill(p, right, _top_for(bottom, font), f"best {burst.position}/{burst.size}", light, font,
                             fg=dark, anchor_right=True)
        else:
            font = self._small_bold
            rect = draw_pill(p, right, _top_for(bottom, font), f"{burst.position}/{burst.size}", _OVERLAY, font,
                             fg=theme.TEXT, outline=QColor(0xb0, 0xb0, 0xb0), anchor_right=True)
        if burst.is_bracket or burst.bracketed:
            draw_pill(p, rect.left() - 4, _top_for(bottom, self._small_bold), "±EV", _BRACKET, self._small_bold,
                      anchor_right=True)


def _draw_thumbnail(p: QPainter, pixmap: QPixmap, thumb_box: QRect, *, stacked: bool, rejected: bool,
                    weak: bool) -> QRect:
    """The thumbnail fitted in the box (faded when rejected, outlined red when weak); where it went."""
    size = pixmap.size().scaled(thumb_box.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRect(0, 0, size.width(), size.height())
    target.moveCenter(thumb_box.center())
    if stacked:
        draw_stack_edges(p, QRectF(target))
    if rejected:
        p.setOpacity(0.38)
    p.drawPixmap(target, pixmap)
    p.setOpacity(1.0)
    p.setPen(QPen(QColor(0, 0, 0, 110), 1))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(target).adjusted(-0.5, -0.5, 0.5, 0.5))
    if weak:
        p.setPen(QPen(theme.WEAK, 2.5))
        p.drawRect(QRectF(target).adjusted(-1.25, -1.25, 1.25, 1.25))
    return target


def _draw_loading(p: QPainter, thumb_box: QRect, *, stacked: bool) -> QRect:
    """A 3:2 placeholder while the thumbnail loads; where it went."""
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(0x2e, 0x2e, 0x2e))
    inner = QRect(0, 0, thumb_box.width() - 16, int((thumb_box.width() - 16) * 2 / 3))
    inner.moveCenter(thumb_box.center())
    if stacked:
        draw_stack_edges(p, QRectF(inner))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0x2e, 0x2e, 0x2e))
    p.drawRect(inner)
    return inner


def _top_for(bottom: float, font: QFont) -> float:
    """The top of a pill in this font whose bottom sits at `bottom` (draw_pill's height: the font's + 2)."""
    return bottom - QFontMetrics(font).height() - 2
