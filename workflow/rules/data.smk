# Data layer: bundled datasets exported with checksums, downloaded datasets
# fetched with pinned hashes, both split into fixed, seeded partitions.

BUNDLED_DATASETS = config["data"]["bundled"]
DOWNLOADED_DATASETS = config["data"]["download"]


rule export_bundled_dataset:
    output:
        data="data/raw/{dataset}/data.csv",
        manifest="data/raw/{dataset}/manifest.json",
    log:
        "logs/data/export_{dataset}.log",
    wildcard_constraints:
        dataset="iris|wine|diabetes|breast_cancer|digits",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    script:
        "../../scripts/export_bundled_dataset.py"


rule split_bundled_dataset:
    input:
        data="data/raw/{dataset}/data.csv",
        manifest="data/raw/{dataset}/manifest.json",
    output:
        "data/processed/{dataset}.npz",
    log:
        "logs/data/split_{dataset}.log",
    wildcard_constraints:
        dataset="iris|wine|diabetes|breast_cancer|digits",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        split=config["data"]["split"],
    script:
        "../../scripts/split_bundled_dataset.py"
