"""mms2l, reliability and security round 2 (issue 18): a checkpoint folder is data (no
code named or unpickled from it), every ``--out`` is checked before the work starts,
outputs are written atomically, and one error class maps to exit code 2.

Bad inputs that only need "a clear error naming X" live in ``test_bad_inputs.py``'s
matrix; the cases here need more than one call or a check that nothing ran."""
from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import REPO_ROOT
from .test_bad_inputs import _saved_s2l


class _RunsCode:
    """Unpickling this creates the file ``path`` (what a hostile pickle would do)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (Path.mkdir, (Path(self.path),))


def _checkpoint(tmp_path: Path) -> Path:
    folder = tmp_path / 'ckpt'
    shutil.copytree(_saved_s2l(), folder)
    return folder


def _edit_config(folder: Path, edit) -> Path:
    path = folder / 's2l_config.json'
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))
    return path


def _load(folder: Path):
    from mms2l.models import S2LModel
    return S2LModel.from_pretrained(folder)


# ---------------------------------------------------------------- no code from a checkpoint
def _popen(sentinel: Path) -> dict:
    return dict(type='subprocess.Popen', args=['mkdir', str(sentinel)])


@pytest.mark.parametrize('key, edit', [
    ('vision_tower.type', lambda c, s: c.update(vision_tower=_popen(s))),
    ('data_preprocessor.type', lambda c, s: c.update(data_preprocessor=_popen(s))),
    ('vision_tower.backbone.type',
     lambda c, s: c.update(vision_tower=dict(type='CNNVisionTower', backbone=_popen(s)))),
    ('data_preprocessor.type',  # a parent registry's name (mmengine's), not mms2l's own
     lambda c, s: c.update(data_preprocessor=dict(type='BaseDataPreprocessor'))),
    ('data_preprocessor.type',  # another scope's name
     lambda c, s: c.update(data_preprocessor=dict(type='mmengine.BaseDataPreprocessor'))),
    ('decoder.type', lambda c, s: c.update(decoder=dict(type='os.system', command='true'))),
])
def test_a_checkpoint_config_names_only_mms2l_registered_classes(tmp_path, key, edit):
    from mms2l.errors import S2LInputError
    folder = _checkpoint(tmp_path)
    sentinel = tmp_path / 'code_ran'
    config = _edit_config(folder, lambda c: edit(c, sentinel))
    value = json.loads(config.read_text())
    for part in key.split('.'):
        value = value[part]
    with pytest.raises(S2LInputError) as info:
        _load(folder)
    message = str(info.value)
    assert str(config) in message and key in message and repr(value) in message, message
    assert not sentinel.exists()


def test_a_checkpoint_config_with_keys_save_pretrained_never_writes_is_refused(tmp_path):
    from mms2l.errors import S2LInputError
    folder = _checkpoint(tmp_path)
    _edit_config(folder, lambda c: c.update(init_cfg=dict(type='Pretrained', checkpoint='x.pth')))
    with pytest.raises(S2LInputError, match=r"unknown keys \['init_cfg'\]"):
        _load(folder)


def test_a_saved_checkpoint_passes_the_type_rule(tmp_path):
    """The rule refuses names, not checkpoints: what save_pretrained writes loads."""
    from mms2l.registered_types import check_registered_types
    from mms2l.registry import MODELS
    config = json.loads((_saved_s2l() / 's2l_config.json').read_text())
    check_registered_types(config, 's2l_config.json', MODELS,
                           choices=dict(decoder={'threshold', 'critical_point', 'loc_head'}))
    assert _load(_saved_s2l()) is not None


def _pickle_file(path: Path, sentinel: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_RunsCode(sentinel)))
    return path


@pytest.mark.parametrize('part', ['llm', 'qformer', 'backbone'])
def test_a_referenced_part_that_is_a_pickle_is_refused_naming_the_file(tmp_path, part):
    from mms2l.errors import S2LInputError
    folder = _checkpoint(tmp_path)
    sentinel = tmp_path / 'code_ran'
    if part == 'llm':  # a base LLM folder whose weights are only pytorch_model.bin
        base = tmp_path / 'base_llm'
        bad = _pickle_file(base / 'pytorch_model.bin', sentinel)
        (base / 'config.json').write_text(json.dumps(dict(model_type='llama')))
        _edit_config(folder, lambda c: c['llm'].update(pretrained=str(base)))
    elif part == 'qformer':  # a Q-Former folder whose query_tokens.pt is a hostile pickle
        bad = _pickle_file(tmp_path / 'qformer' / 'query_tokens.pt', sentinel)
        _edit_config(folder, lambda c: c['compressor'].update(pretrained=str(bad.parent)))
    else:  # a torchvision backbone checkpoint .pth
        bad = _pickle_file(tmp_path / 'resnet18.pth', sentinel)
        _edit_config(folder, lambda c: c.update(vision_tower=dict(
            type='CNNVisionTower', backbone=dict(type='torchvision_backbone', arch='resnet18',
                                                 checkpoint=str(bad)))))
    with pytest.raises(S2LInputError) as info:
        _load(folder)
    message = str(info.value)
    assert str(bad) in message and 'weights_only' not in message, message
    assert not sentinel.exists()


def test_an_adapter_that_is_a_pickle_is_refused_naming_the_file(tmp_path):
    from mms2l.errors import S2LInputError
    folder = _checkpoint(tmp_path)
    sentinel = tmp_path / 'code_ran'
    adapter = _pickle_file(folder / 'adapter' / 'adapter_model.safetensors', sentinel)
    with pytest.raises(S2LInputError, match=re.escape(str(adapter))):
        _load(folder)
    assert not sentinel.exists()


# ---------------------------------------------------------------- atomic checkpoint save
def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    import safetensors.torch

    from mmcontrast.fileio import is_own_temporary
    folder = _checkpoint(tmp_path)
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob('*') if p.is_file()}
    model = _load(folder)

    def disk_full(tensors, filename, metadata=None):
        Path(filename).write_bytes(b'half a file')
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(safetensors.torch, 'save_file', disk_full)
    with pytest.raises(OSError):
        model.save_pretrained(folder)
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob('*') if p.is_file()}
    assert after[Path('heads.safetensors')] == before[Path('heads.safetensors')]
    assert after[Path('s2l_config.json')] == before[Path('s2l_config.json')]
    assert not [p for p in tmp_path.rglob('*') if is_own_temporary(p)]


def test_checkpoint_digest_follows_the_content_not_the_path(tmp_path):
    from mms2l.models.s2l import checkpoint_digest
    folder = _checkpoint(tmp_path)
    moved = tmp_path / 'moved'
    shutil.copytree(folder, moved)
    assert checkpoint_digest(folder) == checkpoint_digest(moved)
    heads = moved / 'heads.safetensors'
    data = bytearray(heads.read_bytes())
    data[-1] ^= 1  # one flipped bit inside a tensor
    heads.write_bytes(bytes(data))
    assert checkpoint_digest(folder) != checkpoint_digest(moved)


# ---------------------------------------------------------------- --out checked first
def _cli(*argv: str) -> int:
    from mms2l.cli import main
    return main(list(argv))


def test_evaluate_refuses_an_existing_out_before_reading_anything(tmp_path, capsys):
    out = tmp_path / 'results.json'
    out.write_text('my results')
    assert _cli('evaluate', str(tmp_path / 'not_there.json'), '--out', str(out)) == 2
    err = capsys.readouterr().err
    assert f'--out {out}' in err and '--overwrite' in err, err
    assert out.read_text() == 'my results'


def test_infer_refuses_an_existing_prediction_file_it_did_not_write(tmp_path, capsys):
    out = tmp_path / 'pred.json'
    out.write_text('[]')
    assert _cli('infer', '--checkpoint', str(tmp_path / 'no_ckpt'), '--annotations',
                str(tmp_path / 'no_ann.json'), '--video-root', str(tmp_path), '--out',
                str(out)) == 2
    err = capsys.readouterr().err
    assert f'--out {out}' in err and '--overwrite' in err, err
    assert out.read_text() == '[]'


def test_ask_refuses_an_existing_out_folder_and_a_blank_query(tmp_path, capsys):
    from mmcontrast.assets import MissingAssetError, video_paths
    try:
        video = next(iter(video_paths().values()))
    except MissingAssetError as err:
        pytest.skip(str(err))
    out = tmp_path / 'answers'
    out.mkdir()
    (out / 'result.json').write_text('mine')
    no_ckpt = str(tmp_path / 'no_ckpt')
    assert _cli('ask', str(video), 'when ?', '--checkpoint', no_ckpt, '--out', str(out)) == 2
    err = capsys.readouterr().err
    assert f'--out {out}' in err and '--overwrite' in err, err
    assert (out / 'result.json').read_text() == 'mine'
    for blank in ('', '   \n'):
        assert _cli('ask', str(video), blank, '--checkpoint', no_ckpt,
                    '--out', str(tmp_path / 'new')) == 2
        assert 'the query is empty' in capsys.readouterr().err
    assert not (tmp_path / 'new').exists()


def test_export_refuses_an_existing_dst_before_reading_src(tmp_path, capsys):
    from mmcontrast.errors import exit_on_input_error
    from mms2l.export_instructblip import main
    dst = tmp_path / 'parts'
    dst.mkdir()
    (dst / 'mine.txt').write_text('mine')
    assert exit_on_input_error(main, [str(tmp_path / 'no_src'), str(dst)], 'export') == 2
    assert f'DST {dst}' in capsys.readouterr().err
    assert [p.name for p in dst.iterdir()] == ['mine.txt']


def _etsum_input(tmp_path: Path) -> tuple[Path, Path]:
    from mmcontrast.assets import MissingAssetError, video_paths
    try:
        name, video = next(iter(video_paths().items()))
    except MissingAssetError as err:
        pytest.skip(str(err))
    root = tmp_path / 'videos'
    root.mkdir()
    (root / video.name).symlink_to(video)
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps([dict(idx=0, video=video.name, task='dvc', q='list the events',
                                    duration=2.0, tgt=[[0.0, 1.0]], g=['a man talks'])]))
    return ann, root


def test_etsum_builder_never_appends_to_a_file_it_did_not_write(tmp_path):
    from mmcontrast.errors import InputError
    from mms2l.etsum_builder import build_etsum
    ann, root = _etsum_input(tmp_path)
    out = tmp_path / 'notes.jsonl'
    out.write_text('my own notes\n')
    with pytest.raises(InputError, match='--overwrite'):
        build_etsum(ann, root, out, None, None)
    assert out.read_text() == 'my own notes\n'
    build_etsum(ann, root, out, None, None, overwrite=True)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r['summaries'] for r in records] == [['a man talks']]
    build_etsum(ann, root, out, None, None)  # its own output: resumed, nothing added twice
    assert len(out.read_text().splitlines()) == 1


# ---------------------------------------------------------------- one error base, one writer
def test_mms2l_has_one_input_error_derived_from_the_shared_base():
    import mms2l.etbench
    import mms2l.etsum_builder
    import mms2l.evaluation.etbench_data
    from mmcontrast.errors import InputError, InputWarning
    from mms2l.errors import S2LInputError, S2LWarning
    assert issubclass(S2LInputError, InputError) and issubclass(S2LInputError, ValueError)
    assert issubclass(S2LWarning, InputWarning)
    for module, name in [(mms2l.etbench, 'ETBenchError'), (mms2l.etsum_builder, 'SampleError'),
                         (mms2l.evaluation.etbench_data, 'ETBenchInputError')]:
        assert not hasattr(module, name), f'{module.__name__}.{name} is a second error class'


def _grep(pattern: str) -> list[str]:
    found = subprocess.run(['grep', '-rnE', pattern, 'mms2l', '--include=*.py'], cwd=REPO_ROOT,
                           capture_output=True, text=True).stdout
    return found.splitlines()


def test_mms2l_writes_only_through_the_shared_atomic_writer():
    assert not _grep(r'os\.replace|\.partial'), _grep(r'os\.replace|\.partial')
    assert not _grep(r'\.write_text\(|\.write_bytes\('), _grep(r'\.write_text\(|\.write_bytes\(')


def test_exit_code_2_is_mapped_in_one_place():
    assert _grep(r'return 2\b') == [], _grep(r'return 2\b')
    assert sorted(line.split(':')[0] for line in _grep(r'exit_on_input_error\(')) == \
        ['mms2l/cli.py', 'mms2l/etsum_builder.py', 'mms2l/export_instructblip.py']


def test_read_json_lines_names_the_file_and_line(tmp_path):
    """The shared reader's JSON-lines form (ETSum output, ``.jsonl`` prediction shards)."""
    from mmcontrast.errors import InputError
    from mmcontrast.fileio import read_json_lines
    path = tmp_path / 'shard.jsonl'
    path.write_text('{"idx": 0}\n\n{"idx": 1}\n')
    assert read_json_lines(path) == [{'idx': 0}, {'idx': 1}]
    for content, message in [(b'{"idx": 0}\n{"idx": \n', f'{path}: line 2: ETSum output is not '
                              'valid JSON'),
                             (b'{"idx": 0}\n' + b'[' * 200_000 + b'\n', f'{path}: line 2: ETSum '
                              'output is nested too deeply'),
                             ('{"q": "caf\u00e9"}\n'.encode('latin-1'), 'is not UTF-8')]:
        path.write_bytes(content)
        with pytest.raises(InputError, match=re.escape(message)):
            read_json_lines(path, 'ETSum output')


def test_etsum_builder_without_backends_stops_before_writing(tmp_path):
    from mms2l.errors import S2LInputError
    from mms2l.etsum_builder import build_etsum
    ann, root = _etsum_input(tmp_path)
    samples = json.loads(ann.read_text())
    samples[0].update(task='tvg', idx=5)  # summaries must be written by the backends
    ann.write_text(json.dumps(samples))
    out = tmp_path / 'out.jsonl'
    with pytest.raises(S2LInputError, match=r"samples \['5'\] .*--captioner, --condenser"):
        build_etsum(ann, root, out, None, None)
    assert not out.exists()
