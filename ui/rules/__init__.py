"""The gallery's Qt-free rules: sorts, filters and counts, burst tiles, zoom geometry, EXIF wording."""
