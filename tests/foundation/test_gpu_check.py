"""benchmarks/gpu_check.sh --smoke runs every section tiny and writes its two reports,
so the prepared GPU check keeps working while no GPU is at hand."""
import json
import os
import subprocess

import pytest

from ..conftest import REPO_ROOT


@pytest.mark.timeout(600)
def test_gpu_check_smoke_runs_every_section(tmp_path):
    env = dict(os.environ, OUT=str(tmp_path))
    done = subprocess.run(['bash', str(REPO_ROOT / 'benchmarks' / 'gpu_check.sh'), '--smoke'],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=580)
    report = json.loads((tmp_path / 'gpu_check.json').read_text())
    failed = {k: v.get('error') for k, v in report['sections'].items() if not v['ok_run']}
    assert done.returncode == 0 and not failed, (failed, done.stderr[-3000:])
    sections = report['sections']
    assert set(sections) == {'step', 'bound', 'pipelines', 'train', 'roi_align', 's2l', 'vsumm'}
    for name in ('PixCon-SR', 'DenseCL (mmpretrain)', 'BYOL (mmpretrain)'):
        assert sections['step'][name]['images_per_s'] > 0
    assert sections['pipelines']['cpu_only_images_per_s'] > 0
    assert sections['pipelines']['hybrid_images_per_s'] > 0
    assert 0 <= sections['train']['probe_before'] <= 1 and sections['train']['iterations'] == 4
    assert sections['roi_align']['ok']
    assert sections['s2l']['tokens_per_s'] > 0
    md = (tmp_path / 'gpu_check.md').read_text()
    assert md.startswith('# gpu_check on cpu (smoke)') and '## roi_align' in md


def test_gpu_check_needs_an_output_folder():
    env = {k: v for k, v in os.environ.items() if k != 'OUT'}
    done = subprocess.run(['bash', str(REPO_ROOT / 'benchmarks' / 'gpu_check.sh')],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 2 and 'output folder' in done.stderr
