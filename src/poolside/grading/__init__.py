"""The grading engine, shipped inside ``autograder.zip``: an assignment's registry of cases
(:mod:`.registry`) run by one runner (:mod:`.runner`) with the student's side in a sandbox
(:mod:`.sandbox`, :mod:`.sandboxed`), and the checks assignments build their cases from
(:mod:`.plot_check`, :mod:`.model_check`, :mod:`.fit_check`). Imports nothing outside it."""
