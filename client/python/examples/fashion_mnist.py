"""Load Fashion-MNIST into Arbor, one tenant per class, and search it.

Needs Debian's dataset-fashion-mnist and a running arbord. Run it from the folder where arbord
keeps its data directory (so that ./data/admin.key is found), or set ARBOR_SERVER and
ARBOR_KEY_FILE:

    .venv/bin/python client/python/examples/fashion_mnist.py
"""

import gzip
import time

import numpy as np

import arbor

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def read_idx(path):
    """Read a gzip-compressed idx file of unsigned bytes as a numpy array."""
    with gzip.open(path, "rb") as file:
        raw = file.read()
    if raw[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path} is not an idx file of unsigned bytes")
    ndim = raw[3]
    shape = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def main():
    # 60,000 training images as rows of 784 pixels scaled to [0, 1], and their labels 0-9.
    images = read_idx(f"{DATA}/train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    labels = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz")
    queries = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    query_labels = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")

    with arbor.Client() as client:
        print("server healthy:", client.health())
        client.create_collection("fm", dim=784, metric="l2")

        # Each class becomes a tenant that owns its images, with an image's row number as id.
        for label, name in enumerate(CLASSES):
            client.create_tenant("fm", name)
            ids = np.flatnonzero(labels == label)
            result = client.upsert("fm", tenant=name, ids=ids, vectors=images[ids],
                                   batch_size=2000)
            print(f"{name:>10}: {result.inserted} images")

        # The collection passed 10,000 vectors, so the index trains in the background.
        # Searches are exact until it is done.
        deadline = time.monotonic() + 300
        info = client.describe_collection("fm")
        while not info.index.trained and time.monotonic() < deadline:
            time.sleep(1)
            info = client.describe_collection("fm")
        print(f"collection fm: {info.vector_count} vectors, {info.tenant_count} tenants, "
              f"index trained: {info.index.trained} ({info.index.tree_nodes} tree nodes)")

        # The first test image that is a dress, searched among the dresses only.
        query = queries[np.flatnonzero(query_labels == 3)[0]]
        for hit in client.search("fm", tenant="dress", vector=query, k=5):
            print(f"  {hit.owner} image {hit.id}: squared distance {hit.score:.2f}")

        # A tenant reads only its own vectors, so the same query searched as tenant sandal
        # finds a sandal.
        hit = client.search("fm", tenant="sandal", vector=query, k=1)[0]
        print(f"nearest for tenant sandal: {hit.owner} image {hit.id}, label "
              f"{CLASSES[labels[hit.id]]}")

        # Recall@10 of the index against exact search, for 100 coat queries. A larger
        # budget gathers more candidates, which is slower and closer to exact.
        coats = queries[query_labels == 4][:100]
        exact = client.search_batch("fm", tenant="coat", vectors=coats, k=10, exact=True)
        for budget in (None, 1000):
            approximate = client.search_batch("fm", tenant="coat", vectors=coats, k=10,
                                              budget=budget)
            found = sum(len({hit.id for hit in a} & {hit.id for hit in e})
                        for a, e in zip(approximate, exact))
            print(f"recall@10 on 100 coat queries, budget {budget or 'default'}: "
                  f"{found / 1000:.3f}")

        # Compare exact search with a numpy brute force over the coats' own images.
        coat_ids = np.flatnonzero(labels == 4)
        distances = ((images[coat_ids] - coats[0]) ** 2).sum(axis=1)
        print("numpy top-3 ids:", coat_ids[np.argsort(distances)[:3]].tolist())
        print("arbor top-3 ids:", [hit.id for hit in exact[0][:3]])

        try:
            client.search("fm", tenant="dress", vector=query[:700], k=5)
        except arbor.ArborError as error:
            print("error:", error)


if __name__ == "__main__":
    main()
