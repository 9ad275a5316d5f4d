"""Data for the two workloads, and a distributed sampler that can resume mid-epoch.

Digits: scikit-learn's handwritten digits (1,797 8x8 images, shipped inside the
package, so no download). LM: token sequences drawn from a fixed random Markov
chain, generated locally from the seed, so there is structure to learn
(next-token entropy log(branching) nats) at any vocabulary size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler, TensorDataset

DIGITS_SPLIT_SEED = 0  # fixed: the test set must not depend on the training seed
DIGITS_TEST_FRACTION = 0.2


@dataclass
class Splits:
    train: Dataset
    test: Dataset | None


def digits() -> Splits:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)  # grey levels are 0..16
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=y
    )
    return Splits(
        train=TensorDataset(torch.from_numpy(x_tr), torch.from_numpy(y_tr)),
        test=TensorDataset(torch.from_numpy(x_te), torch.from_numpy(y_te)),
    )


def markov_tokens(
    n_seq: int, seq_len: int, vocab: int, seed: int, branching: int = 4
) -> torch.Tensor:
    """`n_seq` sequences of `seq_len + 1` tokens (inputs and shifted targets)."""
    rng = np.random.default_rng(seed)
    successors = rng.integers(0, vocab, size=(vocab, branching))
    out = np.empty((n_seq, seq_len + 1), dtype=np.int64)
    out[:, 0] = rng.integers(0, vocab, size=n_seq)
    choices = rng.integers(0, branching, size=(n_seq, seq_len))
    for t in range(seq_len):  # vectorised over sequences; sequential in time
        out[:, t + 1] = successors[out[:, t], choices[:, t]]
    return torch.from_numpy(out)


class TokenDataset(Dataset):
    def __init__(self, tokens: torch.Tensor):
        self.tokens = tokens

    def __len__(self) -> int:
        return self.tokens.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        row = self.tokens[i]
        return row[:-1], row[1:]


def lm(n_seq: int, seq_len: int, vocab: int, seed: int) -> Splits:
    # The chain comes from `seed`; a held-out set is not needed for throughput runs.
    return Splits(train=TokenDataset(markov_tokens(n_seq, seq_len, vocab, seed)), test=None)


class ResumableSampler(DistributedSampler):
    """`DistributedSampler` that remembers how far into the epoch this rank has read.

    The order inside an epoch depends only on (seed, epoch), as in the parent;
    `position` skips the samples already consumed, so a run restored from a
    checkpoint sees exactly the batches the uninterrupted run would have.
    """

    def __init__(self, dataset: Dataset, *, num_replicas: int, rank: int, seed: int):
        super().__init__(
            dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed, drop_last=True
        )
        self.position = 0

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        start = self.position
        for i in indices[start:]:
            self.position += 1
            yield i

    def __len__(self) -> int:
        return self.num_samples - self.position

    def start_epoch(self, epoch: int, position: int = 0) -> None:
        if not 0 <= position <= self.num_samples:
            raise ValueError(f"sampler position {position} outside 0..{self.num_samples}")
        self.set_epoch(epoch)
        self.position = position

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}
