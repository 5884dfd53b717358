"""Predicted misses: how likely a waiting ticket is to miss its pickup target, and why.

The desk's own history (how long tickets of a group and priority waited, and how many it picks up
in each hour of the week) and its current queue (the tickets ahead, the arrivals that will jump
ahead) give a probability per waiting ticket. The ``predicted_miss`` policy event warns the
requester when it passes a threshold, saying when we now expect to pick it up and why.
"""

from ._history import Observation, PickupHistory
from ._model import ArrivalRates, Prediction, Predictor, group_of
from ._survival import Survival

__all__ = ["ArrivalRates", "Observation", "PickupHistory", "Prediction", "Predictor", "Survival", "group_of"]
