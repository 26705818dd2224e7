# Photometric augmentation on the device (issue 20; docs/performance.md). A `*_gpuaug`
# config inherits its CPU config and this file, removes these transform types from the
# worker pipeline, and hands the same view pipelines to PhotometricDataPreprocessor,
# which applies them per sample on the batch with the same probabilities and ranges.
# Equals mmpixcon.models.data_preprocessors.photometric.PHOTOMETRIC_TYPES (tested).
photometric_types = ['RandomApply', 'ColorJitter', 'RandomGrayscale', 'GaussianBlur',
                     'Solarize']
