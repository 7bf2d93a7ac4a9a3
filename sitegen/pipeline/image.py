"""Stage 1: decode an image file into the RGB array every later stage works on.

The pipeline sees what a viewer sees: EXIF orientation is applied, transparency is composited
on white, palettes and CMYK become RGB, and 16-bit or float images are scaled to 8 bits. An
image above ``max_pixels`` is downscaled (aspect kept, Lanczos) with a warning, so one huge photo
cannot exhaust memory in the dense prediction.

Huge files are handled in two tiers, without touching Pillow's global ``MAX_IMAGE_PIXELS``:
images up to ``DECODE_LIMIT_FACTOR`` times ``max_pixels`` are decoded and downscaled, larger ones
are refused from their header before any pixel is decoded. Pillow's own decompression-bomb
limit (2 x ``Image.MAX_IMAGE_PIXELS``, about 179 million pixels by default) still applies on
top and is reported the same way; its warning below that limit is silenced, since the tier
above already decided the image is acceptable.

Every failure is an ``ImageError`` with one line naming the file, so a site build can list the
bad image and go on.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from sitegen.errors import ImageError
from sitegen.records import LoadedImage

#: Images with up to this many times ``max_pixels`` are decoded then downscaled; larger ones are
#: refused before decoding (decoding alone would need several bytes per pixel).
DECODE_LIMIT_FACTOR = 4


def load_image(path: Path, max_pixels: int = 40_000_000) -> LoadedImage:
    """Decode ``path`` to RGB uint8 with EXIF orientation applied.

    Modes: 1, L, P, RGB, CMYK, YCbCr and the like convert directly; LA, PA, RGBA and P or L with
    a transparent colour are composited on white; I;16 is divided by 257; I and F are scaled by
    ``to_uint8_gray``. An animated image contributes its first frame (with a warning).

    Parameters
    ----------
    path : Path
        The image file.
    max_pixels : int
        Images with more pixels are downscaled (aspect kept, Lanczos) to at most this many.

    Returns
    -------
    LoadedImage
        ``rgb`` of shape (H, W, 3), uint8; ``original_size`` is ``(width, height)`` after EXIF
        rotation and before downscaling; ``warnings`` holds the downscale or animation notes.

    Raises
    ------
    ImageError
        Missing, empty, unreadable, unknown format, truncated or corrupt file, or too many pixels;
        one line naming the file.
    """
    path = Path(path)
    _check_file(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        opened = _open(path)
    with opened:
        width, height = opened.size
        limit = DECODE_LIMIT_FACTOR * max_pixels
        if width * height > limit:
            raise ImageError(
                f"{path}: {width}x{height} is {width * height:,} pixels, more than {DECODE_LIMIT_FACTOR} x "
                f"--max-pixels ({limit:,}); downscale the image first or raise --max-pixels"
            )
        image, frames = _decode(path, opened)
    notes = []
    if frames > 1:
        notes.append(f"{path.name}: animated image with {frames} frames; only the first frame is used")
    rgb = _to_rgb(path, image)
    original_size = (int(rgb.shape[1]), int(rgb.shape[0]))
    if rgb.shape[0] * rgb.shape[1] > max_pixels:
        rgb = _downscale(rgb, max_pixels)
        notes.append(
            f"{path.name}: downscaled from {original_size[0]}x{original_size[1]} "
            f"({original_size[0] * original_size[1]:,} pixels) to {rgb.shape[1]}x{rgb.shape[0]} "
            f"to stay within --max-pixels {max_pixels:,}"
        )
    return LoadedImage(name=path.name, rgb=rgb, original_size=original_size, warnings=tuple(notes))


def to_uint8_gray(values: np.ndarray, mode: str) -> np.ndarray:
    """Scale a wide single-channel image (Pillow mode I or F) to uint8.

    Non-finite values become 0 and negatives are clipped to 0. Values that already fit 0..255 are
    kept as they are, except float data in 0..1 (the float convention), which is multiplied by
    255; anything with a larger maximum is scaled so that its maximum becomes 255.

    Parameters
    ----------
    values : ndarray of shape (H, W), int32 or float32
    mode : {"I", "F"}

    Returns
    -------
    ndarray of shape (H, W), dtype uint8

    Examples
    --------
    >>> to_uint8_gray(np.array([[0, 500, 1000]], np.int32), "I").tolist()
    [[0, 128, 255]]
    >>> to_uint8_gray(np.array([[0.0, 0.5, 1.0]], np.float32), "F").tolist()
    [[0, 128, 255]]
    """
    scaled = np.clip(np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
    top = scaled.max(initial=0.0)
    if mode == "F" and top <= 1.0:
        scaled *= 255.0
    elif top > 255.0:
        scaled *= 255.0 / top
    return np.rint(np.clip(scaled, 0.0, 255.0)).astype(np.uint8)


def _check_file(path: Path) -> None:
    """Reject what is not a non-empty regular file before Pillow sees it, with a clear reason."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ImageError(f"{path}: file not found; check the path") from None
    except OSError as error:
        raise ImageError(f"{path}: cannot read the file ({error.strerror or error})") from None
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image file")
    if stat.st_size == 0:
        raise ImageError(f"{path}: file is empty (0 bytes); copy or export it again")


def _open(path: Path) -> Image.Image:
    """``Image.open`` (header only) with its failures turned into one-line ``ImageError``s."""
    try:
        return Image.open(path)
    except UnidentifiedImageError:
        raise ImageError(
            f"{path}: not an image Pillow can read (unknown or unsupported format); convert it to PNG or JPEG"
        ) from None
    except Image.DecompressionBombError as error:
        raise ImageError(
            f"{path}: refused by Pillow as a possible decompression bomb ({error}); downscale it first"
        ) from None
    except OSError as error:
        if error.errno is not None:  # the operating system refused (permissions, I/O error)
            raise ImageError(f"{path}: cannot read the file ({error.strerror or error})") from None
        raise _corrupt(path, error) from None


def _decode(path: Path, opened: Image.Image) -> tuple[Image.Image, int]:
    """Decode every pixel of the first frame and apply EXIF orientation.

    ``load()`` forces the full decode so a truncated or corrupt file fails here, not later.
    Pillow's decoders raise many exception types on corrupt data (OSError, SyntaxError,
    ValueError, struct.error, EOFError, ...), so any exception from these Pillow calls is
    reported as a corrupt file.
    """
    try:
        frames = int(getattr(opened, "n_frames", 1))
        opened.seek(0)
        opened.load()
        return ImageOps.exif_transpose(opened), frames
    except Exception as error:  # noqa: BLE001 -- see the docstring: the types are Pillow's
        raise _corrupt(path, error) from None


def _corrupt(path: Path, error: Exception) -> ImageError:
    """The message for a file whose header or pixel data Pillow cannot decode."""
    reason = str(error) or type(error).__name__
    return ImageError(
        f"{path}: cannot decode the image ({reason}); the file may be truncated or corrupt, export it again"
    )


def _to_rgb(path: Path, image: Image.Image) -> np.ndarray:
    """Any Pillow mode to (H, W, 3) uint8 RGB; transparency is composited on white.

    The array is a writable copy (``np.asarray`` of a Pillow image is read-only, which
    ``torch.from_numpy`` warns about).
    """
    if image.mode.startswith("I;16"):
        gray = ((np.asarray(image).astype(np.uint32) + 128) // 257).astype(np.uint8)
    elif image.mode in ("I", "F"):
        gray = to_uint8_gray(np.asarray(image), image.mode)
    elif image.has_transparency_data:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.array(Image.alpha_composite(white, rgba).convert("RGB"))
    else:
        try:
            return np.array(image.convert("RGB"))
        except ValueError as error:
            raise ImageError(f"{path}: cannot convert image mode {image.mode} to RGB ({error})") from None
    return np.repeat(gray[:, :, None], 3, axis=2)


def _downscale(rgb: np.ndarray, max_pixels: int) -> np.ndarray:
    """Shrink to at most ``max_pixels`` pixels, keeping the aspect ratio, with Lanczos filtering.

    Pillow widens the Lanczos kernel by the reduction factor when shrinking, so this antialiases.
    """
    height, width = rgb.shape[:2]
    scale = np.sqrt(max_pixels / (width * height)) * (1 - 1e-12)  # never round up past the limit
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return np.array(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
