import numpy as np, pandas as pd; print(pd.DataFrame({"a": np.arange(5)}).describe().to_string())
