"""How long a submission may run: the one place these limits are set.

Gradescope (through ``POOLSIDE_CELL_TIMEOUT``/``POOLSIDE_TIMEOUT``), ``poolside grade`` and
``poolside run`` all default to these.
"""

#: Seconds a notebook cell may run before it is interrupted (grading goes on without it).
CELL_TIMEOUT = 300
#: Seconds the student's side may take in all before it is stopped.
TIMEOUT = 900
#: Seconds of TIMEOUT kept for the probes: the notebook's cells stop by TIMEOUT - PROBE_RESERVE
#: whatever they are doing, so a notebook that spends its time cannot starve the checks of
#: honest answers (an honest run's probes take about 15 s).
PROBE_RESERVE = 150
#: Seconds the runner gets for its own work (judging, writing) beyond TIMEOUT before whoever
#: started it gives up on it.
RUNNER_MARGIN = 180
#: Bytes a submitted notebook may have (an honest one with every figure is about 2 MB): a
#: larger upload is refused before it is read or unzipped.
MAX_NOTEBOOK = 50 * 1024**2
