"""UI test fixtures: ``jupyter_server``, ``browser``, ``page``, ``new_page``, ``notebook``.

They live in ``_fixtures.py`` (a plugin module, so a nested pytest run can load them too);
README.md says how to use them.
"""

from _fixtures import *  # noqa: F403
