"""Model monitoring: the same checks on captured traffic, wherever the model is served.

- `spec`: what to check, with which statistic and threshold, and what a breach does.
- `baseline`: the training-data profile written at registration (an .npz).
- `traffic`: capture records (lifecycle.capture) → feature matrix, predictions, latency.
- `checks`: data quality, feature drift, prediction drift, model quality, service health.
- `report`: an HTML page with per-feature drift plots a person can read.
- `shifts`: injected shifts of the digits images, and detection delay in requests.
- `trigger`: start the retraining pipeline once per breach, with a cooldown.
"""
