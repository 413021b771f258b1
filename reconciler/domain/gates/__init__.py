"""The ``gate`` step: where each intent stands after admission, health and promotion.

:mod:`.progress` asks the policy engine over the evaluation and the observed facts.
Imports ``evaluation`` and below.
"""
