"""The classifier side of detection: label schema, labelled data, building, fine-tuning
and evaluating a sequence-classification model. Importing this package imports nothing
heavy; torch, transformers and scikit-learn load inside the modules that need them."""
