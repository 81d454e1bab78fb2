"""Learning a photographer's taste from their own decisions: pure numpy / scikit-learn, no SQL, no Qt.

features  whatever the catalog holds for each photo -> named feature groups (one adapter)
labels    which decisions are keeps and which are rejects
training  a regularised linear model with cross-validated figures beside the fused score's
model     the stored record (JSON, never a pickle) and applying it
"""

from curator.taste.features import FeatureInputs, FeatureTable, feature_table
from curator.taste.labels import KEEP, REJECT, LabelRule, label_of
from curator.taste.model import TasteError, TasteMetrics, TasteModel, TasteModelStale, check_applicable, predict
from curator.taste.training import TrainOptions, train

__all__ = [
    "FeatureInputs", "FeatureTable", "feature_table", "KEEP", "REJECT", "LabelRule", "label_of", "TasteError",
    "TasteMetrics", "TasteModel", "TasteModelStale", "check_applicable", "predict", "TrainOptions", "train",
]
