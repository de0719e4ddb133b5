"""What this notebook's public checks run, in your own kernel, with the autograder's own code.

The `poolside` folder next to this notebook is the autograder's checking code; no answers are
in it. The checks here use it the way the hidden checks do, so that a check that passes here
means what it says after you submit:

* a model is compared with the model its exercise describes by its log-density at fixed test
  values, term by term (each prior, then the likelihood); ``public_models.json`` holds those
  values and the log-densities the exercise's model has there, numbers only.

What cannot be checked here (whether a fit agrees with the reference fit, the multiple-choice
answers) is checked after you submit; each check's message says so.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from poolside.grading import model_check
from poolside.grading.feedback import GradingError
from poolside.grading.sandboxed import describe

__all__ = ["model_is_as_described", "WHAT", "WORDING"]

#: How feedback names each model.
WHAT = {
    "complete_pooled": "complete pooled model",
    "no_pooled": "no pooled model",
    "hierarchical": "hierarchical model",
}
#: How the model checks' feedback names this assignment's data.
WORDING = model_check.Wording(
    data="the song popularities", each_value="the popularity of every song",
    all_values="the popularity of all {n} songs", group="artist",
    likelihood_of="the songs' popularity",
    likelihood_hint=("Check which mean each song gets and that the second argument of "
                     "`pm.Normal` is a standard deviation."),
    noncentred_hint=("Your model is non-centred: check how each artist's mean is built from "
                     "`mu`, the artist-level sd and the offset `{open}`, then which mean each "
                     "song gets."))

EXPECTED = Path(__file__).with_name("public_models.json")


@lru_cache(maxsize=1)
def _expected() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def model_is_as_described(fit, kind: str) -> None:
    """Raise AssertionError unless ``fit[0]`` is the model exercise ``kind`` describes.

    Parameters
    ----------
    fit : tuple
        What the exercise's ``fit_...`` function returned: ``(model, idata)``.
    kind : str
        ``"complete_pooled"``, ``"no_pooled"`` or ``"hierarchical"``.
    """
    what = WHAT[kind]
    if not (isinstance(fit, tuple) and len(fit) == 2):
        raise AssertionError(f"The {what}'s function should return a tuple (model, idata).")
    data = _expected()[kind]
    candidates, points = model_check.stored_candidates(data)
    described = describe.model(fit[0], points, data["artists"])
    try:
        model_check.check_model(described, candidates, data["observed"], points, what,
                                WORDING)
    except GradingError as err:
        raise AssertionError(str(err)) from None
