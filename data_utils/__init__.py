"""Dataset loading for the course's notebooks.

The batch-normalization notebook works on synthetic data it draws itself;
the loaders for the training experiments (CIFAR-10, with an offline fallback)
come with the fully connected networks.
"""
