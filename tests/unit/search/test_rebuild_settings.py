"""A rebuild's index differs from a serving index only in the settings a rebuild overrides, and
the serving values it gets back before its swap are the mapping's own."""

from __future__ import annotations

from search.indices import MODELS, REBUILD_SETTINGS, SERVING_SETTINGS, SETTINGS, index_body


def test_a_rebuilds_index_is_the_serving_index_but_for_its_refresh():
    for model in MODELS:
        serving, rebuilding = index_body(model), index_body(model, REBUILD_SETTINGS)
        assert rebuilding["mappings"] == serving["mappings"]
        assert rebuilding["settings"]["refresh_interval"] == "-1"
        assert {k: v for k, v in rebuilding["settings"].items() if k not in REBUILD_SETTINGS} == {
            k: v for k, v in serving["settings"].items() if k not in REBUILD_SETTINGS
        }


def test_the_serving_settings_restore_every_setting_a_rebuild_overrides():
    assert set(SERVING_SETTINGS) == set(REBUILD_SETTINGS)
    assert SERVING_SETTINGS == {key: SETTINGS[key] for key in REBUILD_SETTINGS}
    assert SETTINGS["refresh_interval"] == "1s"  # index_body() never changes the module's dict
