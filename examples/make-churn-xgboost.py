"""Trains the XGBoost model of bring-your-model.ipynb and writes it with XGBoost's own
predictions for a few customers (Debian's python3-xgboost 1.7, native API):

    /usr/bin/python3 make-churn-xgboost.py   # writes churn-xgboost.json, churn-xgboost.expected.json
"""
import json

import numpy as np
import xgboost as xgb

rng = np.random.default_rng(2026)
n = 2000
tenure = rng.integers(1, 72, n)
charges = rng.uniform(20, 120, n)
calls = rng.poisson(1.5, n)
contract = rng.integers(0, 2, n)
risk = -0.05 * tenure + 0.02 * charges + 0.6 * calls - 1.5 * contract - 0.5
churned = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
x = np.column_stack([tenure, charges, calls, contract]).astype(np.float32)

booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "seed": 1},
                    xgb.DMatrix(x, label=churned), num_boost_round=30)
booster.save_model("churn-xgboost.json")

customers = [[3, 95.0, 4, 0], [60, 45.5, 0, 1], [24, 70.0, 1, 0], [12, 110.0, 2, 1], [48, 30.0, 5, 0]]
probabilities = booster.predict(xgb.DMatrix(np.array(customers, dtype=np.float32)))
with open("churn-xgboost.expected.json", "w") as f:
    json.dump({"features": ["tenure_months", "monthly_charges", "support_calls", "has_contract"],
               "customers": customers, "churn_probability": probabilities.tolist()}, f, indent=1)
