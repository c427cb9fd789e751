import { Router } from 'express';

export const currentUserRouter = Router();

// createApp's currentUser middleware has already verified the JWT; anything invalid is null.
currentUserRouter.get('/api/users/currentuser', (req, res) => {
  res.send({ currentUser: req.currentUser ?? null });
});
