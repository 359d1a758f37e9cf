"""Import the authors' PyTorch reference checkpoints (`.pth`) into the Keras models, and check parity."""
from .pth import PthFormatError, load_pth  # noqa: F401
