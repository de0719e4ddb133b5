"""The numbers the public model checks compare with are the reference models' own."""

from __future__ import annotations

import json

import numpy as np

from autograder import public


def test_the_stored_public_numbers_are_what_the_reference_models_give_now():
    # A reference model or a prior changed without `python -m autograder.public` fails here.
    stored = json.loads(public.PATH.read_text(encoding="utf-8"))
    fresh = json.loads(json.dumps(public.expected()))
    assert stored.keys() == fresh.keys()
    for kind in fresh:
        assert stored[kind]["artists"] == fresh[kind]["artists"]
        assert np.allclose(stored[kind]["observed"], fresh[kind]["observed"])
        for name, values in fresh[kind]["points"].items():
            assert np.allclose(stored[kind]["points"][name], values), (kind, name)
        for old, new in zip(stored[kind]["candidates"], fresh[kind]["candidates"], strict=True):
            assert {k: old[k] for k in ("free", "observed", "open_name")} == \
                {k: new[k] for k in ("free", "observed", "open_name")}
            for name, terms in new["terms"].items():
                assert np.allclose(old["terms"][name], terms, rtol=1e-9), (kind, name)


def test_the_stored_public_posteriors_are_what_the_formulas_give_now():
    # A prediction formula or the stand-ins changed without `python -m autograder.public`.
    fresh = public.posteriors()
    with np.load(public.POSTERIORS) as stored:
        assert sorted(stored.files) == sorted(fresh)
        for key, value in fresh.items():
            if value.dtype.kind == "U":
                assert list(stored[key]) == list(value)
            else:
                assert np.allclose(stored[key], value, rtol=1e-6), key


def test_the_student_side_gets_numbers_only():
    # Nothing of a model's code crosses: plain lists of numbers and names.
    stored = json.loads(public.PATH.read_text(encoding="utf-8"))

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (int, float, str))
    assert plain(stored)
    with np.load(public.POSTERIORS) as arrays:  # no pickles: numbers and names
        assert all(arrays[k].dtype.kind in "fU" for k in arrays.files)
    assert not any("pm." in s or "Normal" in s for s in json.dumps(stored).split('"'))
