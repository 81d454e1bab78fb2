"""Learning a photographer's taste from their own decisions: pure numpy / scikit-learn, no SQL, no Qt.

features  whatever the catalog holds for each photo -> named feature groups (one adapter)
keeps     which decisions are keeps and which are rejects
training  a regularised linear model with cross-validated figures beside the fused score's
model     the stored record (JSON, never a pickle) and applying it
"""

from curator.taste.features import FeatureInputs, FeatureTable, feature_table
from curator.taste.keeps import KEEP, REJECT, KeepRule, keep_or_reject
from curator.taste.model import TasteError, TasteMetrics, TasteModel, TasteModelStale, check_applicable, predict
from curator.taste.training import TrainOptions, train

__all__ = [
    "FeatureInputs", "FeatureTable", "feature_table", "KEEP", "REJECT", "KeepRule", "keep_or_reject", "TasteError",
    "TasteMetrics", "TasteModel", "TasteModelStale", "check_applicable", "predict", "TrainOptions", "train",
]
