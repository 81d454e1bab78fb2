"""The files on disk: which are photos, their identity and EXIF, RAW+JPEG pairs, XMP, safe moves."""
