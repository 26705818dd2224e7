"""ETSum builder with stub backends, resumability, and the OpenAI-compatible client
against a local HTTP server."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from mms2l.etsum_builder import (OpenAICompatibleBackend, build_etsum, parse_segments,
                                 parse_summaries)


class StubCaptioner:
    def __init__(self):
        self.calls = []

    def caption(self, frames, prompt):
        self.calls.append((frames.shape, prompt))
        return f'caption {len(self.calls)} of {frames.shape[0]} frames'


class StubCondenser:
    def __init__(self, fail_on=None):
        self.prompts, self.fail_on = [], fail_on

    def complete(self, prompt):
        self.prompts.append(prompt)
        if self.fail_on is not None and len(self.prompts) == self.fail_on:
            raise RuntimeError('backend down')
        n = prompt.count('\n1. ') + prompt.count('\n2. ') + prompt.count('\n3. ')
        return '\n'.join(f'{i + 1}. summary {i + 1}' for i in range(n))


@pytest.fixture
def video_root(tmp_path):
    from mmcontrast.assets import MissingAssetError, video_paths
    try:
        src = video_paths()['carphone']
    except MissingAssetError as err:
        pytest.skip(str(err))
    (tmp_path / 'v.mp4').write_bytes(src.read_bytes())
    return tmp_path


def annotations(tmp_path):
    items = [dict(idx=0, video='v.mp4', duration=4.0, task='tvg', q='when does he talk?',
                  tgt=[[0.5, 1.5], [2.0, 3.5]]),
             dict(idx=1, video='v.mp4', duration=4.0, task='dvc', q='describe the events',
                  tgt=[0.0, 2.0], g=['a man sits in a car']),
             dict(idx=2, video='v.mp4', duration=4.0, task='tal', q='looking around',
                  tgt=[1.0, 2.0])]
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(items))
    return path


def test_build_keeps_captions_and_condenses(video_root):
    cap, cond = StubCaptioner(), StubCondenser()
    out = build_etsum(annotations(video_root), video_root, video_root / 'out.jsonl', cap, cond)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r['key'] for r in rows] == ['0', '1', '2']
    assert rows[0]['segments'] == [[0.5, 1.5], [2.0, 3.5]]
    assert rows[0]['summaries'] == ['summary 1', 'summary 2']
    assert rows[1]['summaries'] == ['a man sits in a car']  # dvc keeps its caption
    assert len(cap.calls) == 3 and len(cond.prompts) == 2
    shape, prompt = cap.calls[0]
    assert shape[0] == 8 and shape[-1] == 3 and 'when does he talk?' in prompt
    assert 'caption 1 of 8 frames' in cond.prompts[0] and 'caption 2' in cond.prompts[0]


def test_build_resumes_after_a_failure(video_root):
    ann, out = annotations(video_root), video_root / 'out.jsonl'
    with pytest.raises(RuntimeError):
        build_etsum(ann, video_root, out, StubCaptioner(), StubCondenser(fail_on=2))
    assert len(out.read_text().splitlines()) == 2  # samples 0 and 1 were kept
    cap, cond = StubCaptioner(), StubCondenser()
    build_etsum(ann, video_root, out, cap, cond)
    assert len(cap.calls) == 1 and len(cond.prompts) == 1  # only sample 2 was redone
    assert [json.loads(line)['key'] for line in out.read_text().splitlines()] == ['0', '1', '2']


def test_builder_output_is_a_dataset(video_root):
    out = build_etsum(annotations(video_root), video_root, video_root / 'out.jsonl',
                      StubCaptioner(), StubCondenser())
    from mms2l.datasets import ETSumDataset
    ds = ETSumDataset(ann_file=str(out), data_prefix=dict(video=str(video_root)), lazy_init=False)
    assert len(ds) == 3 and ds.get_data_info(0)['summaries'] == ['summary 1', 'summary 2']


def test_builder_keeps_src_so_vid_queries_resolve(video_root, tiny_root):
    """ETBench's src (the times <vid> refers to) reaches the model as vid_frames."""
    item = dict(idx=0, video='v.mp4', duration=4.0, task='tvg', src=[2.6],
                q='when is the square shown after <vid> ?', tgt=[[3.0, 4.0]])
    ann = video_root / 'vid.json'
    ann.write_text(json.dumps([item]))
    out = build_etsum(ann, video_root, video_root / 'vid.jsonl', StubCaptioner(), StubCondenser())
    assert json.loads(out.read_text())['vid_times'] == [2.6]
    from mms2l.datasets import ETSumDataset, FormatS2LInputs
    ds = ETSumDataset(ann_file=str(out), data_prefix=dict(video=str(video_root)), lazy_init=False)
    results = dict(ds.get_data_info(0), frames=np.zeros((4, 3, 8, 8), np.uint8),
                   duration=4.0, sec_per_frame=1.0)
    packed = FormatS2LInputs(tokenizer=dict(path=str(tiny_root / 'tokenizer')))(results)
    assert packed['inputs']['vid_frames'].tolist() == [2]  # the frame covering 2-3 s


class FlakyCondenser(StubCondenser):
    """Answers with one line too many the first ``bad`` times."""

    def __init__(self, bad):
        super().__init__()
        self.bad = bad

    def complete(self, prompt):
        answer = super().complete(prompt)
        return answer + '\nextra line' if len(self.prompts) <= self.bad else answer


def test_wrong_line_count_is_retried(video_root):
    ann = annotations(video_root)
    cond = FlakyCondenser(bad=2)
    out = build_etsum(ann, video_root, video_root / 'out.jsonl', StubCaptioner(), cond,
                      retries=2)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r['key'] for r in rows] == ['0', '1', '2']
    assert rows[0]['summaries'] == ['summary 1', 'summary 2']
    assert len(cond.prompts) == 4  # sample 0 asked three times, sample 2 once
    assert not (video_root / 'out.failed.jsonl').exists()


def test_parsers():
    assert parse_segments([1, 2, 3, 4]) == [[1.0, 2.0], [3.0, 4.0]]
    assert parse_segments([[1, 2], [3, 4]]) == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError):
        parse_segments([1, 2, 3])
    assert parse_summaries('1. First one.\n\n2) Second.\n', 2) == ['First one.', 'Second.']
    with pytest.raises(ValueError):
        parse_summaries('only one line', 2)


def test_openai_compatible_client_against_a_local_server():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
            seen.append((self.path, self.headers.get('Authorization'), body))
            reply = json.dumps({'choices': [{'message': {'content': 'ok'}}]}).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = OpenAICompatibleBackend(f'http://127.0.0.1:{server.server_port}/v1', 'm',
                                         api_key_env='MMS2L_TEST_KEY')
        assert client.complete('hello') == 'ok'
        assert client.caption(np.zeros((2, 8, 8, 3), dtype=np.uint8), 'describe') == 'ok'
    finally:
        server.shutdown()
    path, auth, body = seen[0]
    assert path == '/v1/chat/completions' and auth is None
    assert body['model'] == 'm' and body['messages'][0]['content'] == 'hello'
    content = seen[1][2]['messages'][0]['content']
    assert [c['type'] for c in content] == ['image_url', 'image_url', 'text']
    assert content[0]['image_url']['url'].startswith('data:image/jpeg;base64,')
