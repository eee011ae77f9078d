"""From live to manifests: ``export`` (:mod:`.dump`) writes the live workspace as
manifests; ``clone`` (:mod:`.clone`) copies one team's configuration onto another.

May import :mod:`gsctl.reconcile`, :mod:`gsctl.manifests`, :mod:`gsctl.flows`,
:mod:`gsctl.api`, :mod:`gsctl.model` and :mod:`gsctl.errors`.
"""
