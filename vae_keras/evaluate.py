"""Placeholder: replaced by the evaluation and figures command."""


def evaluate_run(run_dir, dataset=None, **kwargs):
    return {}
