"""RandomModel: predictions in range, and its state survives save and load."""

from raytune_ms.cost_model import RandomModel


def test_random_model_save_load_round_trip(tmp_path):
    model = RandomModel(seed=3)
    path = str(tmp_path / "model.json")
    model.save(path)
    first = model.predict(None, [0] * 5)
    model.load(path)
    assert list(model.predict(None, [0] * 5)) == list(first)
    assert all(0 <= x < 100 for x in first)
